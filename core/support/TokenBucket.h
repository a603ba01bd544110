#pragma once

#include "time/Clock.h"

namespace rebound {

/// A token bucket: `rate` tokens per second up to `burst`. Starts full. Refill is computed from
/// the steady clock on each call, so no timer is needed.
class TokenBucket final
{
public:
    TokenBucket(double ratePerSecond, double burst, const Clock &clock);

    void reconfigure(double ratePerSecond, double burst);
    /// Takes `n` tokens if available.
    bool tryAcquire(double n = 1);
    /// How long until `n` tokens are available (0 when they are; Duration::max() when the rate
    /// is 0 and the bucket cannot hold them).
    Duration timeUntilAvailable(double n = 1);
    double available();
    /// The tokens there are now, without taking or storing anything (for reads).
    double peek() const;

private:
    void refill();

    double m_rate;
    double m_burst;
    const Clock &m_clock;
    double m_tokens;
    SteadyTime m_last;
};

} // namespace rebound
