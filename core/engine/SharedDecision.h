#pragma once

#include "decision/RetryDecision.h"

#include <QString>

#include <cstdint>
#include <optional>

namespace rebound {

/// A fleet member's decision on a task it owns, in the words every other member and console
/// shows: what follows the failed attempt `attempt` and until when. Times are wall-clock
/// milliseconds (another process's steady clock means nothing here); each reader maps them to
/// its own steady clock once, on arrival.
struct SharedDecision
{
    enum class Kind
    {
        Retry,
        Defer,
        Stop
    };
    QString endpoint;
    QString taskId;
    QString member; ///< who decided (the shard's owner when it decided)
    int attempt = 0;
    Kind kind = Kind::Retry;
    std::optional<DeferReason> deferReason; ///< Defer
    std::optional<StopReason> stopReason;   ///< Stop
    std::optional<std::int64_t> dueWallMs;  ///< the next attempt, or the end of a deferral
    std::int64_t decidedWallMs = 0;
    /// Unhealthy deferrals: the evidence (DeferPlan's fields).
    double healthScore = 0;
    double unhealthyScore = 0;
    double errorRate = 0;
    double meanLatencyMs = 0;

    friend bool operator==(const SharedDecision &, const SharedDecision &) = default;
};

/// Another member's decision as this console holds it: on this console's steady clock.
struct ForeignDecision
{
    QString member;
    int attempt = 0;
    RetryDecision decision;
    std::optional<SteadyTime> due;
    SteadyTime decidedAt{};
};

struct TrackedTask;
class TaskBook;

/// `t`'s decision for its current failed attempt, for the other members; nothing when no
/// decision stands (the task runs, ended, or waits for a decision). `due`: when the next
/// attempt or the re-check is due here.
std::optional<SharedDecision> shareDecision(const TrackedTask &t, const QString &member,
                                            std::optional<SteadyTime> due, const TaskBook &book);
/// `d` on this console's steady clock.
ForeignDecision adoptDecision(const SharedDecision &d, const TaskBook &book);

} // namespace rebound
