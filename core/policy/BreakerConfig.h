#pragma once

#include <QString>

#include <cstdint>
#include <optional>

namespace rebound {

enum class SlidingWindowType
{
    CountBased,
    TimeBased
};

QString toText(SlidingWindowType t);
std::optional<SlidingWindowType> slidingWindowTypeFromString(const QString &s);

/// Circuit-breaker settings (`policies[i].breaker`), modelled on resilience4j.
struct BreakerConfig
{
    SlidingWindowType windowType = SlidingWindowType::CountBased;
    int windowSize = 100;              ///< calls (count-based) or seconds (time-based)
    int minimumNumberOfCalls = 20;     ///< no rate is judged before this many calls
    double failureRateThreshold = 50;  ///< percent; >= opens
    double slowCallRateThreshold = 75; ///< percent; >= opens
    std::int64_t slowCallDurationThresholdMs = 2'000; ///< a call this long or longer is slow
    std::int64_t waitDurationInOpenMs = 30'000;
    int permittedCallsInHalfOpen = 10;
    std::int64_t maxWaitInHalfOpenMs = 0; ///< 0: stay half-open until the probes finish
    bool automaticTransitionFromOpenToHalfOpen = true;
    double degradedFraction = 0.5; ///< Degraded once a rate reaches this fraction of its threshold
    double degradedSlowdown = 2.0; ///< retry delays are multiplied by this while Degraded

    friend bool operator==(const BreakerConfig &, const BreakerConfig &) = default;
};

} // namespace rebound
