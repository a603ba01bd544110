#include "AttemptSimulator.h"

#include "TaskStore.h"
#include "decision/ProblemDetails.h"

#include <algorithm>

namespace rebound::taskd {

AttemptSimulator::AttemptSimulator(TaskStore &store, FailureProfile profile, std::int64_t hangCapMs,
                                   const Clock &clock, TimerSource &timers, RandomSource &rng)
    : m_store(store), m_profile(std::move(profile)), m_hangCapMs(hangCapMs), m_clock(clock),
      m_timers(timers), m_rng(rng)
{}

AttemptSimulator::~AttemptSimulator()
{
    for (const TimerId id : std::as_const(m_running))
        m_timers.cancel(id);
}

void AttemptSimulator::run(const TaskRecord &task, std::int64_t deadlineMs)
{
    SimResult sim = m_profile.sample(task.task.type, m_rng);
    std::int64_t after = sim.latencyMs;
    if (sim.outcome == SimOutcome::Hang) {
        after = deadlineMs > 0 ? deadlineMs : m_hangCapMs;
        sim.outcome = SimOutcome::Timeout;
    } else if (sim.outcome == SimOutcome::Timeout) {
        after = deadlineMs > 0 ? std::min(deadlineMs, std::max(sim.latencyMs * 3, sim.latencyMs))
                               : sim.latencyMs * 3;
    } else if (deadlineMs > 0 && sim.latencyMs > deadlineMs) {
        after = deadlineMs;
        sim.outcome = SimOutcome::Timeout;
    }
    const QString id = task.task.id;
    const int number = task.task.attempt;
    stop(id);
    m_running.insert(id, m_timers.schedule(m_clock.steadyNow() + Duration(after),
                                           [this, id, number, sim] { finish(id, number, sim); }));
}

void AttemptSimulator::stop(const QString &taskId)
{
    if (const TimerId t = m_running.take(taskId))
        m_timers.cancel(t);
}

void AttemptSimulator::finish(const QString &id, int number, const SimResult &sim)
{
    m_running.remove(id);
    TaskRecord *found = m_store.find(id);
    if (!found)
        return;
    TaskRecord &r = *found;
    if (r.attempts.isEmpty() || r.attempts.last().number != number ||
        r.attempts.last().outcome != AttemptOutcome::Running)
        return;
    RemoteAttempt &a = r.attempts.last();
    a.endedAtMs = m_clock.wallNowMs();
    a.durationMs = *a.endedAtMs - a.startedAtMs;
    switch (sim.outcome) {
    case SimOutcome::Success:
        a.outcome = AttemptOutcome::Succeeded;
        a.httpStatus = 200;
        r.task.state = RemoteState::Succeeded;
        break;
    case SimOutcome::Unavailable:
    case SimOutcome::RateLimited: {
        const bool limited = sim.outcome == SimOutcome::RateLimited;
        a.outcome = AttemptOutcome::Failed;
        a.httpStatus = limited ? 429 : 503;
        if (sim.retryAfterMs >= 0)
            a.retryAfterMs = sim.retryAfterMs;
        ProblemDetails p;
        p.type = limited ? QStringLiteral("urn:rebound:problem:rate-limited")
                         : QStringLiteral("urn:rebound:problem:unavailable");
        p.title = limited ? QStringLiteral("Downstream rate limit")
                          : QStringLiteral("Downstream unavailable");
        p.status = *a.httpStatus;
        a.problem = p;
        r.task.state = RemoteState::Failed;
        break;
    }
    case SimOutcome::Timeout:
    case SimOutcome::Hang:
        a.outcome = AttemptOutcome::Timeout;
        a.httpStatus = 504;
        r.task.state = RemoteState::Failed;
        break;
    case SimOutcome::Business: {
        a.outcome = AttemptOutcome::Failed;
        a.httpStatus = 400;
        ProblemDetails p;
        p.type = sim.problemType;
        p.title = QStringLiteral("Rejected by the downstream service");
        p.status = 400;
        a.problem = p;
        r.task.state = RemoteState::Failed;
        break;
    }
    }
    r.task.lastAttempt = a;
    m_store.touch(r);
}

} // namespace rebound::taskd
