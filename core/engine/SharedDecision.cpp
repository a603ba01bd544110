#include "engine/SharedDecision.h"

#include "engine/TaskBook.h"

namespace rebound {

std::optional<SharedDecision> shareDecision(const TrackedTask &t, const QString &member,
                                            std::optional<SteadyTime> due, const TaskBook &book)
{
    if (t.remote.state != RemoteState::Failed || !t.lastDecision ||
        t.decisionFor != t.remote.attempt)
        return std::nullopt;
    SharedDecision s;
    s.endpoint = t.endpoint;
    s.taskId = t.remote.id;
    s.member = member;
    s.attempt = t.remote.attempt;
    s.decidedWallMs = book.toWall(t.decidedAt);
    if (due)
        s.dueWallMs = book.toWall(*due);
    const RetryDecision &d = *t.lastDecision;
    if (const auto *stop = std::get_if<StopPlan>(&d)) {
        s.kind = SharedDecision::Kind::Stop;
        s.stopReason = stop->reason;
        s.dueWallMs.reset();
    } else if (const auto *defer = std::get_if<DeferPlan>(&d)) {
        s.kind = SharedDecision::Kind::Defer;
        s.deferReason = defer->reason;
        s.healthScore = defer->healthScore;
        s.unhealthyScore = defer->unhealthyScore;
        s.errorRate = defer->errorRate;
        s.meanLatencyMs = defer->meanLatencyMs;
    } else {
        s.kind = SharedDecision::Kind::Retry;
    }
    return s;
}

ForeignDecision adoptDecision(const SharedDecision &d, const TaskBook &book)
{
    ForeignDecision f;
    f.member = d.member;
    f.attempt = d.attempt;
    f.decidedAt = book.toSteady(d.decidedWallMs);
    if (d.dueWallMs)
        f.due = book.toSteady(*d.dueWallMs);
    switch (d.kind) {
    case SharedDecision::Kind::Retry: {
        RetryPlan r;
        r.at = f.due.value_or(f.decidedAt);
        f.decision = r;
        break;
    }
    case SharedDecision::Kind::Defer: {
        DeferPlan p{d.deferReason.value_or(DeferReason::BreakerOpen), f.due};
        p.healthScore = d.healthScore;
        p.unhealthyScore = d.unhealthyScore;
        p.errorRate = d.errorRate;
        p.meanLatencyMs = d.meanLatencyMs;
        f.decision = p;
        break;
    }
    case SharedDecision::Kind::Stop:
        f.decision = StopPlan{d.stopReason.value_or(StopReason::Exhausted)};
        break;
    }
    return f;
}

} // namespace rebound
