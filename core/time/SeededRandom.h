#pragma once

#include "time/RandomSource.h"

namespace rebound {

/// xoshiro256** seeded through SplitMix64: fast, allocation-free, and identical on every
/// platform and standard library (unlike std::uniform_real_distribution), so a seed printed by
/// `reboundctl schedule --seed` reproduces the same numbers anywhere.
class SeededRandom final : public RandomSource
{
public:
    explicit SeededRandom(std::uint64_t seed = 0);
    void reseed(std::uint64_t seed);
    std::uint64_t nextU64();
    double nextUnit() override { return static_cast<double>(nextU64() >> 11) * 0x1.0p-53; }

private:
    std::uint64_t m_s[4];
};

} // namespace rebound
