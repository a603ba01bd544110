#include "remote/EndpointDefaults.h"

namespace rebound {

BreakerConfig EndpointDefaults::breaker()
{
    BreakerConfig c;
    c.windowSize = 10;
    c.minimumNumberOfCalls = 5;
    c.failureRateThreshold = 60;
    c.waitDurationInOpenMs = 15'000;
    c.permittedCallsInHalfOpen = 1;
    c.slowCallDurationThresholdMs = 30'000;
    return c;
}

BackoffConfig EndpointDefaults::backoff()
{
    BackoffConfig b;
    b.initialDelayMs = 1000;
    b.multiplier = 2;
    b.maxDelayMs = 30'000;
    b.jitter = JitterMode::Equal;
    return b;
}

BackoffConfig EndpointDefaults::pushBackoff()
{
    BackoffConfig b;
    b.initialDelayMs = 1000;
    b.multiplier = 2;
    b.maxDelayMs = 300'000; // a service without push is asked again every 5 min at most
    b.jitter = JitterMode::Equal;
    return b;
}

TimeoutConfig EndpointDefaults::requestTimeout()
{
    TimeoutConfig t;
    t.fixedMs = 10'000; // until enough answers are seen
    t.floorMs = 2'000;
    t.ceilingMs = 30'000;
    t.windowSize = 100;
    t.minSamples = 10;
    return t;
}

} // namespace rebound
