#include "guards/HealthMonitor.h"

#include <algorithm>

namespace rebound {

HealthMonitor::HealthMonitor(const HealthConfig &config, const Clock &clock)
    : m_config(config), m_clock(clock)
{}

void HealthMonitor::reconfigure(const HealthConfig &config)
{
    if (config.windowMs != m_config.windowMs) {
        m_buckets.fill(Bucket{});
        m_lastSlot = -1;
    }
    m_config = config;
}

std::int64_t HealthMonitor::slotOf(SteadyTime t) const
{
    const std::int64_t width = std::max<std::int64_t>(1, m_config.windowMs / kBuckets);
    const std::int64_t ms = toMs(t);
    return ms >= 0 ? ms / width : (ms - width + 1) / width;
}

void HealthMonitor::advance(std::int64_t slot)
{
    if (slot <= m_lastSlot)
        return;
    const std::int64_t from =
        m_lastSlot < 0 ? slot - kBuckets + 1 : std::max(m_lastSlot + 1, slot - kBuckets + 1);
    for (std::int64_t s = from; s <= slot; ++s)
        m_buckets[static_cast<std::size_t>(((s % kBuckets) + kBuckets) % kBuckets)] =
            Bucket{s, 0, 0, 0, 0};
    m_lastSlot = slot;
}

void HealthMonitor::record(bool failed, Duration duration, bool timedOut)
{
    const std::int64_t slot = slotOf(m_clock.steadyNow());
    advance(slot);
    Bucket &b = m_buckets[static_cast<std::size_t>(((slot % kBuckets) + kBuckets) % kBuckets)];
    ++b.calls;
    b.failures += failed ? 1 : 0;
    b.timeouts += timedOut ? 1 : 0;
    b.latencyMs += static_cast<double>(duration.count());
}

HealthScore HealthMonitor::compute(const HealthConfig &c, int calls, int failures,
                                   double totalLatencyMs, int timeouts)
{
    HealthScore s;
    s.calls = calls;
    s.minimumCalls = c.minimumCalls;
    if (calls == 0)
        return s;
    const auto term = [](double value, double threshold) {
        return threshold > 0 ? std::clamp(value / threshold, 0.0, 1.0) : 0.0;
    };
    const double minutes = static_cast<double>(c.windowMs) / 60'000.0;
    s.errorRate = static_cast<double>(failures) / calls;
    s.meanLatencyMs = totalLatencyMs / calls;
    s.errorTerm = term(s.errorRate, c.errorRateThreshold);
    s.latencyTerm = term(s.meanLatencyMs, c.latencyThresholdMs);
    s.timeoutTerm = term(minutes > 0 ? timeouts / minutes : 0, c.timeoutsPerMinuteThreshold);
    s.score = c.errorWeight * s.errorTerm + c.latencyWeight * s.latencyTerm +
              c.timeoutWeight * s.timeoutTerm;
    s.unhealthy = s.enoughData() && s.score >= c.unhealthyScore;
    return s;
}

HealthScore HealthMonitor::score() const
{
    // Buckets of slots that left the window are skipped, not cleared: record() reuses them.
    const std::int64_t now = slotOf(m_clock.steadyNow());
    int calls = 0, failures = 0, timeouts = 0;
    double latency = 0;
    for (const Bucket &b : m_buckets) {
        if (b.slot > now - kBuckets && b.slot <= now) {
            calls += b.calls;
            failures += b.failures;
            timeouts += b.timeouts;
            latency += b.latencyMs;
        }
    }
    return compute(m_config, calls, failures, latency, timeouts);
}

} // namespace rebound
