#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

namespace rebound {

/// Percentiles over the last N latency samples in bounded memory: a log-linear histogram
/// (exact below 128 µs, then 64 sub-buckets per power of two, so any reported value is within
/// 0.8% of a sample in its bucket) plus a ring of bucket indexes to evict the oldest sample.
/// Memory is fixed at construction; add() is O(1) and allocation-free.
class LatencyHistogram final
{
public:
    explicit LatencyHistogram(int windowSize);

    void add(std::chrono::microseconds sample);
    /// The q-quantile (0 < q <= 1) of the samples in the window, by the nearest-rank method; 0
    /// when empty.
    std::chrono::microseconds percentile(double q) const;
    int count() const { return m_count; }
    int windowSize() const { return static_cast<int>(m_ring.size()); }
    void clear();

    static int bucketOf(std::uint64_t micros);
    static std::uint64_t bucketMidpoint(int bucket);
    static constexpr int kBucketCount = 128 + 33 * 64;

private:
    std::vector<std::uint32_t> m_counts;
    std::vector<std::uint16_t> m_ring;
    int m_head = 0;
    int m_count = 0;
};

} // namespace rebound
