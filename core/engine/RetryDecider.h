#pragma once

#include "decision/BackoffSequence.h"
#include "decision/ErrorClassifier.h"
#include "decision/RetryDecision.h"
#include "policy/RetryPolicy.h"

namespace rebound {

class CircuitBreaker;
class HealthMonitor;
class RetryBudget;

/// What is known about the task when its attempt has failed.
struct RetryContext
{
    Classification classification;
    int attemptsMade = 1;         ///< including the attempt that just failed
    SteadyTime firstAttemptStart; ///< the total deadline counts from here
    SteadyTime failedAttemptEnd;  ///< backoff and Retry-After count from here
    std::optional<Duration> retryAfter;
    bool cancelled = false;
    bool paused = false; ///< automatic retries paused for this task type
};

/// The shared guards of the task's dependency; any may be null (= admits).
struct RetryGates
{
    CircuitBreaker *breaker = nullptr;
    const RetryBudget *budget = nullptr;
    HealthMonitor *health = nullptr;
};

/// Decides Retry, Defer or Stop for a failed attempt.
///
/// Stops come first (cancelled, not retryable, attempts used up, deadline passed), then the
/// deferrals (paused, breaker, budget, health) which only delay, then the delay itself:
/// max(jittered backoff x degraded slowdown, min(Retry-After, maxRetryAfterMs)) from the end
/// of the failed attempt, and Stop(DeadlineExceeded) if that lands past the total deadline.
/// `backoff` advances only when a delay is actually computed, so deferrals do not burn retries.
class RetryDecider final
{
public:
    static RetryDecision decide(const RetryContext &context, const RetryPolicy &policy,
                                BackoffSequence &backoff, RandomSource &rng,
                                const RetryGates &gates, SteadyTime now);
};

} // namespace rebound
