#include "engine/TaskState.h"

#include <array>

namespace rebound {

namespace {
constexpr std::array<const char *, TaskStateCount> kStateNames = {
    "pending",         "running",  "succeeded", "failed",   "timed_out",
    "retry_scheduled", "deferred", "cancelled", "exhausted"};
constexpr std::array<const char *, 12> kCauseNames = {
    "attempt_started", "attempt_succeeded", "attempt_failed", "attempt_timed_out",
    "retry_scheduled", "retry_deferred",    "retry_due",      "operator_retry",
    "operator_requeue", "operator_cancel",  "retries_stopped", "someone_else"};
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
    return QString::fromLatin1(kCauseNames[static_cast<std::size_t>(c)]);
}

bool isTerminal(TaskState s)
{
    return s == TaskState::Succeeded || s == TaskState::Cancelled || s == TaskState::Exhausted;
}

int attentionRank(TaskState s)
{
    switch (s) {
    case TaskState::Exhausted:
        return 0;
    case TaskState::TimedOut:
        return 1;
    case TaskState::Failed:
        return 2;
    case TaskState::Deferred:
        return 3;
    case TaskState::RetryScheduled:
        return 4;
    case TaskState::Running:
        return 5;
    case TaskState::Pending:
        return 6;
    case TaskState::Cancelled:
        return 7;
    case TaskState::Succeeded:
        return 8;
    }
    return 9;
}

} // namespace rebound
