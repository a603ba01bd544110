#include "guards/AdaptiveTimeout.h"

#include <algorithm>
#include <cmath>

namespace rebound {

AdaptiveTimeout::AdaptiveTimeout(const TimeoutConfig &config)
    : m_config(config.effective()), m_histogram(m_config.windowSize)
{}

void AdaptiveTimeout::reconfigure(const TimeoutConfig &config)
{
    const TimeoutConfig next = config.effective();
    if (next.windowSize != m_config.windowSize)
        m_histogram = LatencyHistogram(next.windowSize);
    m_config = next;
}

Duration AdaptiveTimeout::current() const
{
    const auto clampMs = [this](double ms) {
        return Duration(
            std::clamp<std::int64_t>(std::llround(ms), m_config.floorMs, m_config.ceilingMs));
    };
    if (m_config.mode == TimeoutMode::Fixed)
        return Duration(m_config.fixedMs);
    if (m_histogram.count() < m_config.minSamples)
        return clampMs(static_cast<double>(m_config.fixedMs));
    const double p =
        static_cast<double>(m_histogram.percentile(m_config.percentile).count()) / 1000.0;
    return clampMs(m_config.multiplier * p);
}

} // namespace rebound
