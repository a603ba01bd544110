#pragma once

#include "BudgetConfig.h"
#include "TokenBucket.h"

namespace rebound {

/// Limits retries relative to normal traffic so retries cannot multiply an outage. Combines
/// a rate limit on retries (a token bucket: ratePerSecond, burst), Envoy's retry budget
/// (concurrent retries vs. active attempts) and gRPC's retry throttling (token count fed by
/// successes and drained by failures); each can be switched off.
class RetryBudget final
{
public:
    RetryBudget(const BudgetConfig &config, const Clock &clock);
    void reconfigure(const BudgetConfig &config);
    /// The rate limit (ratePerSecond, burst) is kept elsewhere (a fleet's shared budget): this
    /// budget then checks only the concurrency and the token count.
    void setRateShared(bool shared) { m_rateShared = shared; }

    /// Would a retry be admitted now? Does not reserve anything.
    bool canRetry() const;
    /// Bookkeeping from the caller: every attempt that starts and ends, and its outcome.
    void attemptStarted(bool isRetry);
    void attemptFinished(bool isRetry, bool succeeded);

    int activeAttempts() const { return m_active; }
    int activeRetries() const { return m_activeRetries; }
    double tokens() const { return m_tokens; }
    /// Concurrent retries the Envoy-style budget allows right now.
    int allowedConcurrentRetries() const;

private:
    BudgetConfig m_config;
    TokenBucket m_rate;
    int m_active = 0;
    int m_activeRetries = 0;
    double m_tokens = 0;
    bool m_rateShared = false;
};

} // namespace rebound
