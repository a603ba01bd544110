#pragma once

#include <chrono>
#include <cstdint>

namespace rebound {

/// Durations are whole milliseconds throughout the engine; sub-millisecond precision is only
/// kept where it matters (jittered delays are computed as double milliseconds).
using Duration = std::chrono::milliseconds;

/// A point on the steady (monotonic) time line. Its epoch is the clock's own; only differences
/// and comparisons between points of the same clock mean anything.
using SteadyTime = std::chrono::time_point<std::chrono::steady_clock, Duration>;

inline constexpr std::int64_t toMs(Duration d)
{
    return d.count();
}
inline constexpr std::int64_t toMs(SteadyTime t)
{
    return t.time_since_epoch().count();
}
inline constexpr SteadyTime steadyFromMs(std::int64_t ms)
{
    return SteadyTime(Duration(ms));
}

} // namespace rebound
