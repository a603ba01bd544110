#pragma once

#include <QString>

#include <array>
#include <optional>

namespace rebound {

enum class TaskState
{
    Pending,
    Running,
    Succeeded,
    Failed,
    TimedOut,
    RetryScheduled,
    Cancelled,
    Exhausted,
};
inline constexpr int TaskStateCount = 8;

/// Why a transition happened; `detail` in the event carries the specifics (status, reason).
enum class TransitionCause
{
    AttemptStarted,
    AttemptSucceeded,
    AttemptFailed,
    AttemptTimedOut,
    RetryScheduled,
    RetryDue,
    OperatorRetry,
    OperatorCancel,
    RetriesStopped,
};

QString toText(TaskState s);
std::optional<TaskState> taskStateFromString(const QString &s);
QString toText(TransitionCause c);
bool isTerminal(TaskState s);

} // namespace rebound
