#pragma once

#include "decision/RetryDecision.h"
#include "engine/TaskState.h"
#include "support/Result.h"
#include "time/Time.h"

namespace rebound {

/// What every transition yields: enough to log it, persist it and show it.
struct TransitionEvent
{
    TaskState from;
    TaskState to;
    SteadyTime at;
    int attempt; ///< the task's attempt number when it moved
    TransitionCause cause;
    QString detail; ///< e.g. "breaker_open", "exhausted", "HTTP 503"
};

/// The state with what the operator needs to read it: why a retry waits and until when, why
/// retries stopped.
struct TaskCondition
{
    TaskState state = TaskState::Pending;
    std::optional<DeferReason> deferReason;
    std::optional<StopReason> stopReason;
    std::optional<SteadyTime> until; ///< the next attempt, or the end of a deferral

    friend bool operator==(const TaskCondition &, const TaskCondition &) = default;
};

/// The lifecycle of one task as Rebound sees it. All legal moves are in one table
/// (TaskStateMachine::isAllowed); anything else is refused with an error value and leaves the
/// machine untouched.
///
/// The engine observes a remote service that others act on too, so the table allows what an
/// observer can truthfully see: attempts that began and ended between two looks (Failed ->
/// Succeeded), another attempt of a running task (Running -> Running), a dead task brought back
/// (Exhausted/Cancelled -> Running). It refuses what cannot happen: anything after Succeeded,
/// anything back to Pending, a decision (RetryScheduled, Deferred, Exhausted) without a failure
/// to decide on.
class TaskStateMachine final
{
public:
    explicit TaskStateMachine(TaskState initial = TaskState::Pending) : m_state(initial) {}

    static bool isAllowed(TaskState from, TaskState to);
    Result<TransitionEvent> transition(TaskState to, SteadyTime at, int attempt,
                                       TransitionCause cause, QString detail = {});
    TaskState state() const { return m_state; }

private:
    TaskState m_state;
};

} // namespace rebound
