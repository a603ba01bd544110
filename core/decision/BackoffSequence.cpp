#include "decision/BackoffSequence.h"

#include <algorithm>
#include <cmath>

namespace rebound {

void BackoffSequence::reset(const BackoffConfig &config)
{
    m_initial = std::max(0.0, config.initialDelayMs);
    m_multiplier = std::max(1.0, config.multiplier);
    m_cap = std::max(0.0, config.maxDelayMs);
    m_factor = std::clamp(config.randomizationFactor, 0.0, 1.0);
    m_mode = config.jitter;
    m_retry = 0;
    m_nominal = 0;
    m_lastSleep = m_initial;
}

double BackoffSequence::nominalDelay(const BackoffConfig &config, int r)
{
    const double cap = std::max(0.0, config.maxDelayMs);
    const double initial = std::max(0.0, config.initialDelayMs);
    if (r <= 1)
        return std::min(cap, initial);
    // pow overflows to +inf for large r, which min() then turns into the cap.
    const double d = initial * std::pow(std::max(1.0, config.multiplier), r - 1);
    return std::isfinite(d) ? std::min(cap, d) : cap;
}

void BackoffSequence::resumeAt(int r, double previousSleepMs)
{
    m_retry = std::max(0, r - 1);
    BackoffConfig c;
    c.initialDelayMs = m_initial;
    c.multiplier = m_multiplier;
    c.maxDelayMs = m_cap;
    m_nominal = m_retry == 0 ? 0 : nominalDelay(c, m_retry);
    m_lastSleep = m_retry == 0 ? m_initial : previousSleepMs;
}

BackoffDelay BackoffSequence::next(RandomSource &rng)
{
    ++m_retry;
    m_nominal =
        m_retry == 1 ? std::min(m_cap, m_initial) : std::min(m_cap, m_nominal * m_multiplier);
    const double d = m_nominal;
    const double delay = JitterStrategy::of(m_mode).next(
        JitterInputs{d, m_lastSleep, m_initial, m_cap, m_factor}, rng);
    m_lastSleep = delay;
    return BackoffDelay{m_retry, d, delay};
}

} // namespace rebound
