#pragma once

#include <QString>

#include <optional>

namespace rebound {

/// A task's state as the engine holds it: what the operator sees is one of these, with its
/// cause (TaskCondition). Names of another service's states (RemoteState) are facts the engine
/// observes; these are the engine's own.
enum class TaskState
{
    Pending,
    Running,
    Succeeded,
    Failed,         ///< an attempt failed, not yet decided
    TimedOut,       ///< an attempt timed out, not yet decided
    RetryScheduled, ///< the next attempt has a time
    Deferred,       ///< a retry waits for a guard: breaker, budget, health or a pause
    Cancelled,      ///< by an operator
    Exhausted,      ///< retries stopped by policy: attempts used up, deadline, not retryable
};
inline constexpr int TaskStateCount = 9;

/// Why a transition happened; the event's `detail` carries the specifics.
enum class TransitionCause
{
    AttemptStarted,   ///< the service's own first attempt
    AttemptSucceeded,
    AttemptFailed,
    AttemptTimedOut,
    RetryScheduled,
    RetryDeferred,
    RetryDue,         ///< this console started the scheduled retry
    OperatorRetry,    ///< "retry now"
    OperatorRequeue,  ///< "retry now" on an exhausted or cancelled task: a fresh allowance
    OperatorCancel,
    RetriesStopped,
    SomeoneElse,      ///< an attempt this console did not start (another console, the service)
};

QString toText(TaskState s); ///< pending, running, …, retry_scheduled (log and history keys)
std::optional<TaskState> taskStateFromString(const QString &s);
QString toText(TransitionCause c);
/// Nothing more happens without someone acting (an operator, or another client).
bool isTerminal(TaskState s);
/// Lifecycle order for sorting: what needs attention first (exhausted, timed out, failed,
/// deferred, retry scheduled, running, pending, cancelled, succeeded).
int attentionRank(TaskState s);

} // namespace rebound
