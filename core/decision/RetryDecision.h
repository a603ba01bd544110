#pragma once

#include "policy/BackoffConfig.h"
#include "time/Time.h"

#include <QString>

#include <optional>
#include <variant>

namespace rebound {

enum class DeferReason
{
    BreakerOpen,
    BudgetExhausted,
    Unhealthy,
    Paused
};
enum class StopReason
{
    Exhausted,
    DeadlineExceeded,
    NotRetryable,
    Cancelled
};

QString toText(DeferReason r);
QString toText(StopReason r); ///< exhausted, deadline_exceeded, not_retryable, cancelled
std::optional<StopReason> stopReasonFromString(const QString &s);

/// Retry at `at`; the delay and the parts it was made of.
struct RetryPlan
{
    int retry = 0;         ///< r: 1 for the first retry
    SteadyTime at;         ///< failed attempt end + delay (never before the decision)
    Duration delay{0};     ///< max(jittered backoff x slowdown, Retry-After)
    double nominalMs = 0;  ///< d_r before jitter
    double jitteredMs = 0; ///< after jitter, before slowdown
    double slowdown = 1;   ///< > 1 while the dependency's breaker is Degraded
    JitterMode jitter = JitterMode::None;
    std::optional<Duration> retryAfter; ///< the server's delay, after maxRetryAfterMs
    bool retryAfterUsed = false;        ///< the server's delay was the longer one
};

/// Not now, not never: the task stays RetryScheduled and is decided again.
struct DeferPlan
{
    DeferReason reason;
    /// When to decide again; nullopt for Paused (decided again when retries are resumed).
    std::optional<SteadyTime> recheckAt;
    /// Unhealthy: the health score the decision saw, the score that counts as unhealthy, and
    /// the evidence behind it (error rate, mean latency).
    double healthScore = 0;
    double unhealthyScore = 0;
    double errorRate = 0;
    double meanLatencyMs = 0;
};

struct StopPlan
{
    StopReason reason;
};

/// Exactly one of Retry, Defer or Stop.
using RetryDecision = std::variant<RetryPlan, DeferPlan, StopPlan>;

QString describe(const RetryDecision &d, SteadyTime now);

} // namespace rebound
