#pragma once

#include "policy/BudgetConfig.h"
#include "support/TokenBucket.h"

#include <array>
#include <optional>

namespace rebound {

/// Limits retries relative to normal traffic so retries cannot multiply an outage. Combines
/// a rate limit on retries (a token bucket: ratePerSecond, burst), Envoy's retry budget
/// (concurrent retries vs. active attempts), gRPC's retry throttling (token count fed by
/// successes and drained by failures) and Finagle's ratio cap (retries in the last 10 s vs. the
/// attempts that ended in them); each can be switched off.
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
    /// When the clock alone may let a retry through again: the rate limit's next token, the ratio
    /// window's next second. Nothing when the wait ends with an attempt (a running retry that
    /// ends, a success that earns tokens) rather than at a time; zero when a retry may go now.
    std::optional<Duration> readyIn() const;
    /// How many retries it would admit now, one after another (INT_MAX: no limit is on).
    int headroom() const;
    /// Bookkeeping from the caller: every attempt that starts and ends, and its outcome.
    void attemptStarted(bool isRetry);
    /// `mine` false: another engine's attempt — only the token count learns from it.
    void attemptFinished(bool isRetry, bool succeeded, bool mine = true);
    /// An attempt of this type ended at the service, whoever started it (for the ratio cap: a
    /// fleet member sees every member's attempts, so its counts are the fleet's).
    void attemptEnded(bool isRetry);

    /// Retries the ratio cap allows in the current window, and those counted in it.
    int ratioAllowance() const;
    int ratioRetries() const;

    int activeAttempts() const { return m_active; }
    int activeRetries() const { return m_activeRetries; }
    double tokens() const { return m_tokens; }
    /// Concurrent retries the Envoy-style budget allows right now.
    int allowedConcurrentRetries() const;

    static constexpr int kRatioBuckets = 10; ///< one per second: a 10 s window

private:
    struct Bucket
    {
        std::int64_t second = -1;
        int attempts = 0;
        int retries = 0;
    };
    /// The bucket of the current second (reset when its second is past).
    Bucket &bucketNow();
    int sumOf(int Bucket::*field) const;

    BudgetConfig m_config;
    const Clock &m_clock;
    std::array<Bucket, kRatioBuckets> m_window{};
    TokenBucket m_rate;
    int m_active = 0;
    int m_activeRetries = 0;
    double m_tokens = 0;
    bool m_rateShared = false;
};

} // namespace rebound
