#include "support/TokenBucket.h"

#include <algorithm>
#include <cmath>

namespace rebound {

TokenBucket::TokenBucket(double ratePerSecond, double burst, const Clock &clock)
    : m_rate(std::max(0.0, ratePerSecond)), m_burst(std::max(0.0, burst)), m_clock(clock),
      m_tokens(m_burst), m_last(clock.steadyNow())
{}

void TokenBucket::reconfigure(double ratePerSecond, double burst)
{
    refill();
    m_rate = std::max(0.0, ratePerSecond);
    m_burst = std::max(0.0, burst);
    m_tokens = std::min(m_tokens, m_burst);
}

void TokenBucket::refill()
{
    const SteadyTime now = m_clock.steadyNow();
    if (now > m_last) {
        m_tokens =
            std::min(m_burst, m_tokens + m_rate * static_cast<double>(toMs(now - m_last)) / 1000.0);
        m_last = now;
    }
}

bool TokenBucket::tryAcquire(double n)
{
    refill();
    if (m_tokens + 1e-9 < n)
        return false;
    m_tokens = std::max(0.0, m_tokens - n);
    return true;
}

Duration TokenBucket::timeUntilAvailable(double n)
{
    refill();
    if (m_tokens + 1e-9 >= n)
        return Duration(0);
    if (m_rate <= 0 || n > m_burst)
        return Duration::max();
    // The epsilon keeps rounding noise (1 - 0.999 = 0.0010000000000000009) from adding a ms.
    return Duration(static_cast<std::int64_t>(std::ceil((n - m_tokens) * 1000.0 / m_rate - 1e-9)));
}

double TokenBucket::peek() const
{
    const SteadyTime now = m_clock.steadyNow();
    if (now <= m_last)
        return m_tokens;
    return std::min(m_burst, m_tokens + m_rate * static_cast<double>(toMs(now - m_last)) / 1000.0);
}

double TokenBucket::available()
{
    refill();
    return m_tokens;
}

} // namespace rebound
