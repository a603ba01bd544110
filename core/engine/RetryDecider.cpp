#include "engine/RetryDecider.h"

#include "guards/CircuitBreaker.h"
#include "guards/HealthMonitor.h"
#include "guards/RetryBudget.h"

#include <algorithm>
#include <cmath>

namespace rebound {

RetryDecision RetryDecider::decide(const RetryContext &ctx, const RetryPolicy &policy,
                                   BackoffSequence &backoff, RandomSource &rng,
                                   const RetryGates &gates, SteadyTime now)
{
    const BackoffConfig &b = policy.backoff;
    const bool hasDeadline = b.totalDeadlineMs > 0;
    const SteadyTime deadline = ctx.firstAttemptStart + Duration(b.totalDeadlineMs);

    if (ctx.cancelled)
        return StopPlan{StopReason::Cancelled};
    if (!ctx.classification.retryable)
        return StopPlan{StopReason::NotRetryable};
    if (ctx.attemptsMade >= b.maxAttempts)
        return StopPlan{StopReason::Exhausted};
    if (hasDeadline && now >= deadline)
        return StopPlan{StopReason::DeadlineExceeded};

    if (ctx.paused)
        return DeferPlan{DeferReason::Paused, std::nullopt};
    if (gates.breaker) {
        if (const auto until = gates.breaker->blockedUntil())
            return DeferPlan{DeferReason::BreakerOpen, *until};
    }
    if (gates.budget && !gates.budget->canRetry()) {
        // Decided again when the budget refills (its next token), not a recheck later: a rate
        // of 50/s must not run at 1/recheckMs. What only an ending attempt frees wakes the
        // task then (RetryScheduler::budgetFreed); recheckMs is the backstop.
        const std::optional<Duration> ready = gates.budget->readyIn();
        return DeferPlan{DeferReason::BudgetExhausted,
                         now + (ready ? std::max(Duration(1), *ready)
                                      : Duration(policy.budget.recheckMs))};
    }
    if (gates.health) {
        if (const HealthScore h = gates.health->score(); h.unhealthy)
            return DeferPlan{DeferReason::Unhealthy, now + Duration(policy.health.recheckMs),
                             h.score, gates.health->config().unhealthyScore, h.errorRate,
                             h.meanLatencyMs};
    }

    if (backoff.nextRetry() != ctx.attemptsMade)
        backoff.resumeAt(ctx.attemptsMade, b.initialDelayMs);
    const BackoffDelay d = backoff.next(rng);

    RetryPlan plan;
    plan.retry = d.retry;
    plan.nominalMs = d.nominalMs;
    plan.jitteredMs = d.delayMs;
    plan.jitter = b.jitter;
    plan.slowdown = gates.breaker ? gates.breaker->delayFactor() : 1.0;
    Duration delay(std::llround(d.delayMs * plan.slowdown));
    if (ctx.retryAfter) {
        plan.retryAfter = std::min(*ctx.retryAfter, Duration(b.maxRetryAfterMs));
        if (*plan.retryAfter > delay) {
            delay = *plan.retryAfter;
            plan.retryAfterUsed = true;
        }
    }
    plan.delay = delay;
    plan.at = std::max(now, ctx.failedAttemptEnd + delay);
    if (hasDeadline && plan.at > deadline)
        return StopPlan{StopReason::DeadlineExceeded};
    return plan;
}

} // namespace rebound
