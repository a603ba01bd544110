#pragma once

#include <cstdint>

namespace rebound {

/// Source of uniform randomness. Every jittered value in Rebound is drawn from one of these so
/// that a seed reproduces a whole schedule exactly.
class RandomSource
{
public:
    virtual ~RandomSource() = default;
    /// Uniform in [0, 1), 53 bits of precision.
    virtual double nextUnit() = 0;
    /// Uniform in [lo, hi]; returns lo when hi <= lo.
    double uniform(double lo, double hi) { return hi <= lo ? lo : lo + nextUnit() * (hi - lo); }
};

} // namespace rebound
