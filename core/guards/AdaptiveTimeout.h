#pragma once

#include "policy/TimeoutConfig.h"
#include "support/LatencyHistogram.h"
#include "time/Time.h"

namespace rebound {

/// The per-request timeout for one dependency: `multiplier x p(percentile)` of recent attempt
/// durations, clamped to [floor, ceiling] (default 1.5 x p95), or a fixed value.
class AdaptiveTimeout final
{
public:
    explicit AdaptiveTimeout(const TimeoutConfig &config);

    void reconfigure(const TimeoutConfig &config);
    void record(std::chrono::microseconds duration) { m_histogram.add(duration); }
    void record(Duration duration) { m_histogram.add(duration); }
    Duration current() const;
    const LatencyHistogram &histogram() const { return m_histogram; }

private:
    TimeoutConfig m_config; ///< with the SLA preset applied
    LatencyHistogram m_histogram;
};

} // namespace rebound
