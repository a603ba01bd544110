#pragma once

#include "policy/JitterStrategy.h"

#include <QString>

#include <cstdint>
#include <optional>

namespace rebound {

/// Backoff parameters of a policy (`policies[i].backoff`). Times in milliseconds.
struct BackoffConfig
{
    double initialDelayMs = 200;
    double multiplier = 2.0;
    double maxDelayMs = 30'000;       ///< cap on the backoff (not on Retry-After)
    int maxAttempts = 5;              ///< counts the first attempt, like gRPC's maxAttempts
    std::int64_t totalDeadlineMs = 0; ///< from the start of the first attempt; 0 = none
    JitterMode jitter = JitterMode::Full;
    double randomizationFactor = 0.5;       ///< for proportional jitter, in [0, 1]
    std::int64_t maxRetryAfterMs = 300'000; ///< longest server-directed delay honoured

    friend bool operator==(const BackoffConfig &, const BackoffConfig &) = default;
};

} // namespace rebound
