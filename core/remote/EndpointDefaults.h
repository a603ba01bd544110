#pragma once

#include "guards/AdaptiveTimeout.h"
#include "guards/CircuitBreaker.h"
#include "policy/BackoffConfig.h"

namespace rebound {

/// How the client guards one endpoint on its own, whatever the task policies say: its breaker,
/// the backoff after a failed poll, the backoff before push is tried again, and the request
/// timeout (adaptive once enough answers are seen).
class EndpointDefaults final
{
public:
    static BreakerConfig breaker();
    static BackoffConfig backoff();
    static BackoffConfig pushBackoff();
    static TimeoutConfig requestTimeout();
};

} // namespace rebound
