#pragma once

#include "policy/BackoffConfig.h"
#include "time/RandomSource.h"

namespace rebound {

/// One computed backoff delay and its parts (all in milliseconds).
struct BackoffDelay
{
    int retry = 0;        ///< r = 1 for the first retry
    double nominalMs = 0; ///< d_r = min(cap, initial * multiplier^(r-1))
    double delayMs = 0;   ///< after jitter
    double jitterMs() const { return delayMs - nominalMs; }
};

/// The delays of one task's retries, r = 1, 2, ... Stateful because decorrelated jitter
/// depends on the previous sleep, and because stepping d_r by one multiplication is both
/// overflow-safe (it saturates at the cap) and far cheaper than pow() on the hot path.
///
/// The jitter modes' definitions (r >= 1, d_r nominal, s_0 = initial) are the table in
/// policy/JitterStrategy.cpp.
class BackoffSequence final
{
public:
    explicit BackoffSequence(const BackoffConfig &config) { reset(config); }

    void reset(const BackoffConfig &config);
    /// Continues a sequence after a restart: the next call to next() computes retry r, given
    /// the previous jittered sleep (only decorrelated jitter uses it).
    void resumeAt(int r, double previousSleepMs);

    BackoffDelay next(RandomSource &rng);
    int nextRetry() const { return m_retry + 1; }

    /// d_r computed directly (pow), saturating at the cap; used by previews and resumeAt.
    static double nominalDelay(const BackoffConfig &config, int r);

private:
    double m_initial = 0;
    double m_multiplier = 1;
    double m_cap = 0;
    double m_factor = 0;
    JitterMode m_mode = JitterMode::None;
    int m_retry = 0;
    double m_nominal = 0;   ///< d_(m_retry)
    double m_lastSleep = 0; ///< s_(m_retry)
};

} // namespace rebound
