#pragma once

#include <cstdint>

namespace rebound {

/// `policies[i].budget`: outbound rate limit and retry budget for one dependency.
struct BudgetConfig
{
    double ratePerSecond = 50; ///< token bucket refill; 0 disables the rate limit
    double burst = 100;        ///< token bucket capacity
    /// Envoy style: concurrent retries <= max(minRetryConcurrency, budgetPercent% of active
    /// attempts). budgetPercent 0 disables this check.
    double budgetPercent = 20;
    int minRetryConcurrency = 3;
    /// gRPC retry throttling: a failure costs 1 token, a success earns tokenRatio; retries are
    /// allowed while tokens > maxTokens / 2. maxTokens 0 disables it.
    double maxTokens = 0;
    double tokenRatio = 0.1;
    /// Finagle style ratio cap: retries in the last 10 s <= retryRatioPercent % of the attempts
    /// that ended in them, but at least ratioMinRetries; retryRatioPercent 0 disables it.
    double retryRatioPercent = 0;
    int ratioMinRetries = 10;
    std::int64_t recheckMs = 1'000; ///< when to decide again after the budget said no

    friend bool operator==(const BudgetConfig &, const BudgetConfig &) = default;
};

} // namespace rebound
