#pragma once

#include "FailureProfile.h"
#include "TaskBackend.h"
#include "time/Clock.h"
#include "time/RandomSource.h"
#include "time/TimerSource.h"

#include <QHash>

namespace rebound::taskd {

class TaskStore;

/// The reference service's backend: each attempt's outcome and latency are drawn from a
/// failure profile (success, 503/429 with or without Retry-After, timeouts and hangs, business
/// errors with problem types), and the attempt ends in the store when its latency has passed —
/// or at the client's deadline, which a hang or a slow attempt runs into.
class AttemptSimulator final : public TaskBackend
{
public:
    AttemptSimulator(TaskStore &store, FailureProfile profile, std::int64_t hangCapMs,
                     const Clock &clock, TimerSource &timers, RandomSource &rng);
    ~AttemptSimulator() override;
    AttemptSimulator(const AttemptSimulator &) = delete;
    AttemptSimulator &operator=(const AttemptSimulator &) = delete;

    void setProfile(const FailureProfile &profile) { m_profile = profile; }
    void run(const TaskRecord &task, std::int64_t deadlineMs) override;
    void stop(const QString &taskId) override;

private:
    void finish(const QString &id, int number, const SimResult &sim);

    TaskStore &m_store;
    FailureProfile m_profile;
    std::int64_t m_hangCapMs;
    const Clock &m_clock;
    TimerSource &m_timers;
    RandomSource &m_rng;
    QHash<QString, TimerId> m_running; ///< the completion of each task's running attempt
};

} // namespace rebound::taskd
