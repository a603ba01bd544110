#include "support/LatencyHistogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace rebound {

namespace {
constexpr std::uint64_t kMaxMicros = (std::uint64_t(1) << 40) - 1; // ~12.7 days
}

LatencyHistogram::LatencyHistogram(int windowSize)
    : m_counts(kBucketCount, 0), m_ring(static_cast<std::size_t>(std::max(1, windowSize)), 0)
{}

int LatencyHistogram::bucketOf(std::uint64_t v)
{
    v = std::min(v, kMaxMicros);
    if (v < 128)
        return static_cast<int>(v);
    const int msb = 63 - std::countl_zero(v);
    const auto mantissa = static_cast<int>((v >> (msb - 6)) & 63);
    return 128 + (msb - 7) * 64 + mantissa;
}

std::uint64_t LatencyHistogram::bucketMidpoint(int bucket)
{
    if (bucket < 128)
        return static_cast<std::uint64_t>(bucket);
    const int msb = (bucket - 128) / 64 + 7;
    const auto mantissa = static_cast<std::uint64_t>((bucket - 128) % 64);
    const int shift = msb - 6;
    const std::uint64_t lower = (64 + mantissa) << shift;
    return lower + ((std::uint64_t(1) << shift) - 1) / 2;
}

void LatencyHistogram::add(std::chrono::microseconds sample)
{
    const auto b = static_cast<std::uint16_t>(
        bucketOf(static_cast<std::uint64_t>(std::max<std::int64_t>(0, sample.count()))));
    const auto size = static_cast<int>(m_ring.size());
    if (m_count == size)
        --m_counts[m_ring[static_cast<std::size_t>(m_head)]];
    else
        ++m_count;
    m_ring[static_cast<std::size_t>(m_head)] = b;
    ++m_counts[b];
    m_head = (m_head + 1) % size;
}

std::chrono::microseconds LatencyHistogram::percentile(double q) const
{
    if (m_count == 0)
        return std::chrono::microseconds(0);
    q = std::clamp(q, 0.0, 1.0);
    const auto rank = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(q * m_count)));
    if (q > 0.5) {
        // High percentiles are near the top: count down from there.
        std::int64_t above = m_count - rank; // samples strictly above the answer
        for (int b = kBucketCount - 1; b >= 0; --b) {
            above -= m_counts[static_cast<std::size_t>(b)];
            if (above < 0)
                return std::chrono::microseconds(bucketMidpoint(b));
        }
    } else {
        std::int64_t seen = 0;
        for (int b = 0; b < kBucketCount; ++b) {
            seen += m_counts[static_cast<std::size_t>(b)];
            if (seen >= rank)
                return std::chrono::microseconds(bucketMidpoint(b));
        }
    }
    return std::chrono::microseconds(0);
}

void LatencyHistogram::clear()
{
    std::fill(m_counts.begin(), m_counts.end(), 0);
    m_head = 0;
    m_count = 0;
}

} // namespace rebound
