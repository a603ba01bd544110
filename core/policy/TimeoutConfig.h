#pragma once

#include <QString>

#include <cstdint>
#include <optional>

namespace rebound {

enum class TimeoutMode
{
    Adaptive,
    Fixed
};
/// SLA presets: A = 99.99 % of calls within 200 ms, B = 99.9 % within 500 ms. A preset sets
/// the percentile the timeout follows and uses the SLA latency as the ceiling.
enum class SlaPreset
{
    None,
    A,
    B
};

QString toText(SlaPreset p);
std::optional<SlaPreset> slaPresetFromString(const QString &s);

/// `policies[i].timeout`. Adaptive: multiplier x the percentile of the last windowSize
/// attempt durations, clamped to [floorMs, ceilingMs]; fixedMs until minSamples are known.
struct TimeoutConfig
{
    TimeoutMode mode = TimeoutMode::Adaptive;
    std::int64_t fixedMs = 10'000;
    double percentile = 0.95;
    double multiplier = 1.5;
    int windowSize = 200;
    int minSamples = 20;
    std::int64_t floorMs = 100;
    std::int64_t ceilingMs = 30'000;
    SlaPreset sla = SlaPreset::None;

    /// The config with the SLA preset (if any) applied.
    TimeoutConfig effective() const;

    friend bool operator==(const TimeoutConfig &, const TimeoutConfig &) = default;
};

} // namespace rebound
