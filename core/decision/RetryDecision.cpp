#include "decision/RetryDecision.h"

namespace rebound {

QString toText(DeferReason r)
{
    switch (r) {
    case DeferReason::BreakerOpen:
        return QStringLiteral("breaker_open");
    case DeferReason::BudgetExhausted:
        return QStringLiteral("budget_exhausted");
    case DeferReason::Unhealthy:
        return QStringLiteral("unhealthy");
    case DeferReason::Paused:
        return QStringLiteral("paused");
    }
    return {};
}

QString toText(StopReason r)
{
    switch (r) {
    case StopReason::Exhausted:
        return QStringLiteral("exhausted");
    case StopReason::DeadlineExceeded:
        return QStringLiteral("deadline_exceeded");
    case StopReason::NotRetryable:
        return QStringLiteral("not_retryable");
    case StopReason::Cancelled:
        return QStringLiteral("cancelled");
    }
    return {};
}

std::optional<StopReason> stopReasonFromString(const QString &s)
{
    for (StopReason r : {StopReason::Exhausted, StopReason::DeadlineExceeded,
                         StopReason::NotRetryable, StopReason::Cancelled}) {
        if (toText(r) == s)
            return r;
    }
    return std::nullopt;
}

QString describe(const RetryDecision &d, SteadyTime now)
{
    if (const auto *r = std::get_if<RetryPlan>(&d)) {
        QString s = QStringLiteral("retry %1 in %2 ms (backoff %3 ms, %4 jitter -> %5 ms")
                        .arg(r->retry)
                        .arg(r->delay.count())
                        .arg(r->nominalMs, 0, 'f', 1)
                        .arg(toText(r->jitter))
                        .arg(r->jitteredMs, 0, 'f', 1);
        if (r->slowdown != 1)
            s += QStringLiteral(", x%1 degraded").arg(r->slowdown);
        if (r->retryAfter)
            s += QStringLiteral(", Retry-After %1 ms%2")
                     .arg(r->retryAfter->count())
                     .arg(r->retryAfterUsed ? QStringLiteral(" used") : QString());
        return s + u')';
    }
    if (const auto *f = std::get_if<DeferPlan>(&d)) {
        if (!f->recheckAt)
            return QStringLiteral("deferred (%1) until resumed").arg(toText(f->reason));
        return QStringLiteral("deferred (%1), decided again in %2 ms")
            .arg(toText(f->reason))
            .arg(toMs(*f->recheckAt - now));
    }
    return QStringLiteral("stopped (%1)").arg(toText(std::get<StopPlan>(d).reason));
}

} // namespace rebound
