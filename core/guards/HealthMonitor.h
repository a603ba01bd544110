#pragma once

#include "policy/HealthConfig.h"
#include "time/Clock.h"

#include <array>

namespace rebound {

struct HealthScore
{
    double errorTerm = 0;   ///< E: error rate / threshold, capped at 1
    double latencyTerm = 0; ///< L: mean latency / threshold, capped at 1
    double timeoutTerm = 0; ///< T: timeouts per minute / threshold, capped at 1
    double score = 0;       ///< wE*E + wL*L + wT*T
    double errorRate = 0;     ///< failed / calls in the window
    double meanLatencyMs = 0; ///< mean attempt duration in the window
    int calls = 0;
    int minimumCalls = 0;     ///< the policy's: below it the score never denies
    bool unhealthy = false;   ///< enough calls, and score >= unhealthyScore

    bool enoughData() const { return calls >= minimumCalls; }
};

/// Feeds the health score of one dependency from attempt outcomes over a sliding window of
/// 12 fixed buckets (bounded memory, O(1) record).
class HealthMonitor final
{
public:
    HealthMonitor(const HealthConfig &config, const Clock &clock);
    void reconfigure(const HealthConfig &config);

    void record(bool failed, Duration duration, bool timedOut);
    /// The score over the window that ends now (a read: nothing moves).
    HealthScore score() const;
    const HealthConfig &config() const { return m_config; }

    static HealthScore compute(const HealthConfig &config, int calls, int failures,
                               double totalLatencyMs, int timeouts);

private:
    static constexpr int kBuckets = 12;
    struct Bucket
    {
        std::int64_t slot = -1;
        int calls = 0;
        int failures = 0;
        int timeouts = 0;
        double latencyMs = 0;
    };
    void advance(std::int64_t slot);
    std::int64_t slotOf(SteadyTime t) const;

    HealthConfig m_config;
    const Clock &m_clock;
    std::array<Bucket, kBuckets> m_buckets{};
    std::int64_t m_lastSlot = -1;
};

} // namespace rebound
