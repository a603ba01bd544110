#pragma once

#include "HistoryStore.h"
#include "RemoteTask.h"
#include "TaskTransport.h"

#include <QSet>

#include <functional>

namespace rebound {

/// Reads tasks again when the engine cannot trust what it has: a task after a refusal, the
/// attempts that began or ended between two polls. One attempts request per task at a time;
/// the transport's bulkhead and token bucket pace the rest.
class TaskReader final
{
    Q_DISABLE_COPY_MOVE(TaskReader)

public:
    using TransportOf = std::function<TaskTransport *(const QString &endpoint)>;
    using TaskRead = std::function<void(const QString &endpoint, const RemoteTask &task)>;
    using AttemptsRead = std::function<void(const QString &endpoint, const QString &taskId,
                                            const QList<RemoteAttempt> &attempts)>;

    TaskReader(TransportOf transportOf, TaskRead taskRead, AttemptsRead attemptsRead)
        : m_transportOf(std::move(transportOf)), m_taskRead(std::move(taskRead)),
          m_attemptsRead(std::move(attemptsRead))
    {
    }

    void readTask(const QString &endpoint, const QString &taskId);
    void readAttempts(const QString &endpoint, const QString &taskId);
    void forget(const QString &endpoint, const QString &taskId);

private:
    TransportOf m_transportOf;
    TaskRead m_taskRead;
    AttemptsRead m_attemptsRead;
    QSet<QPair<QString, QString>> m_reading; ///< (endpoint, task) whose attempts are on their way
};

} // namespace rebound
