#pragma once

#include <QString>

#include <cstdint>

namespace rebound::taskd {

struct TaskRecord;

/// What does a task's work behind the Task API: rebound-taskd's routes record an attempt's start
/// in the TaskStore and hand it here; the backend ends it in the store when the work ends. The
/// simulator (AttemptSimulator) is one backend; a real queue is another.
class TaskBackend
{
public:
    virtual ~TaskBackend() = default;
    /// The task's last attempt was recorded as running: do its work, within `deadlineMs`
    /// (0: none), and end it in the store.
    virtual void run(const TaskRecord &task, std::int64_t deadlineMs) = 0;
    /// The API ended the running attempt of `taskId` (an abort or a cancel): stop its work.
    virtual void stop(const QString &taskId) = 0;

protected:
    TaskBackend() = default;
    TaskBackend(const TaskBackend &) = default;
    TaskBackend &operator=(const TaskBackend &) = default;
};

} // namespace rebound::taskd
