#include "TaskState.h"

namespace rebound {

namespace {
constexpr std::array<const char *, TaskStateCount> kStateNames = {
    "pending",   "running",         "succeeded", "failed",
    "timed_out", "retry_scheduled", "cancelled", "exhausted"};
} // namespace

QString toText(TaskState s)
{
    return QString::fromLatin1(kStateNames[static_cast<std::size_t>(s)]);
}

std::optional<TaskState> taskStateFromString(const QString &s)
{
    for (std::size_t i = 0; i < kStateNames.size(); ++i) {
        if (s == QLatin1String(kStateNames[i]))
            return static_cast<TaskState>(i);
    }
    return std::nullopt;
}

QString toText(TransitionCause c)
{
    switch (c) {
    case TransitionCause::AttemptStarted:
        return QStringLiteral("attempt_started");
    case TransitionCause::AttemptSucceeded:
        return QStringLiteral("attempt_succeeded");
    case TransitionCause::AttemptFailed:
        return QStringLiteral("attempt_failed");
    case TransitionCause::AttemptTimedOut:
        return QStringLiteral("attempt_timed_out");
    case TransitionCause::RetryScheduled:
        return QStringLiteral("retry_scheduled");
    case TransitionCause::RetryDue:
        return QStringLiteral("retry_due");
    case TransitionCause::OperatorRetry:
        return QStringLiteral("operator_retry");
    case TransitionCause::OperatorCancel:
        return QStringLiteral("operator_cancel");
    case TransitionCause::RetriesStopped:
        return QStringLiteral("retries_stopped");
    }
    return {};
}

bool isTerminal(TaskState s)
{
    return s == TaskState::Succeeded || s == TaskState::Cancelled || s == TaskState::Exhausted;
}

} // namespace rebound
