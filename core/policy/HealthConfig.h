#pragma once

#include <cstdint>

namespace rebound {

/// `policies[i].health`: the feedback-loop score `wE*E + wL*L + wT*T`, each term the metric
/// over its threshold (capped at 1), over a sliding window. Retries are denied at >=
/// unhealthyScore, and only once the window holds minimumCalls attempts: one slow failure of
/// a type never seen before is no evidence (resilience4j's minimumNumberOfCalls, for health).
struct HealthConfig
{
    double errorWeight = 0.6;
    double latencyWeight = 0.3;
    double timeoutWeight = 0.1;
    double errorRateThreshold = 0.30; ///< fraction of failed attempts
    double latencyThresholdMs = 500;  ///< mean attempt duration
    double timeoutsPerMinuteThreshold = 5;
    double unhealthyScore = 0.8;
    int minimumCalls = 10; ///< attempts in the window before the score may deny
    std::int64_t windowMs = 60'000;
    std::int64_t recheckMs = 5'000; ///< when to decide again after "unhealthy"

    friend bool operator==(const HealthConfig &, const HealthConfig &) = default;
};

} // namespace rebound
