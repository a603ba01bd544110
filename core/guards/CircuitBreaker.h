#pragma once

#include "policy/BreakerConfig.h"
#include "time/Clock.h"
#include "time/TimerSource.h"

#include <functional>
#include <optional>
#include <vector>

namespace rebound {

enum class BreakerState
{
    Closed,
    Open,
    HalfOpen,
    ForcedOpen,
    Disabled
};
/// The state an operator sees: Closed is split into Healthy and Degraded.
enum class BreakerHealth
{
    Healthy,
    Degraded,
    Open,
    HalfOpen,
    ForcedOpen,
    Disabled
};
enum class CallOutcome
{
    Success,
    Failure
};

QString toText(BreakerState s);
QString toText(BreakerHealth h);

/// Rates and counts of the window a decision was made on. Rates are percentages, or -1 while
/// fewer than the minimum number of calls were recorded.
struct BreakerMetrics
{
    double failureRate = -1;
    double slowCallRate = -1;
    int calls = 0;
    int failedCalls = 0;
    int slowCalls = 0;
};

struct BreakerTransition
{
    BreakerHealth from;
    BreakerHealth to;
    SteadyTime at;
    BreakerMetrics metrics; ///< what caused it
    QString cause;          ///< e.g. "failure rate 55.0% >= 50%", "operator", "wait elapsed"
};

/// A circuit breaker for one remote dependency (Rebound keeps one per task type), in the
/// resilience4j model: count- or time-based sliding window, failure-rate and slow-call-rate
/// thresholds, minimum calls, Open -> HalfOpen after a wait, a fixed number of half-open probes,
/// a maximum half-open wait, and forced states. A Degraded tier inside Closed lets callers slow
/// retries down before the breaker has to open.
///
/// tryAcquire() and record() allocate nothing and read the clock only when they must (open
/// state, time-based windows, transitions).
class CircuitBreaker final
{
public:
    using Listener = std::function<void(const BreakerTransition &)>;

    /// `timers` may be null; with it, an open breaker half-opens on time even with no traffic,
    /// and a half-open one re-opens after its maximum wait.
    CircuitBreaker(const BreakerConfig &config, const Clock &clock, TimerSource *timers = nullptr);
    ~CircuitBreaker();
    CircuitBreaker(const CircuitBreaker &) = delete;
    CircuitBreaker &operator=(const CircuitBreaker &) = delete;

    void setListener(Listener listener) { m_listener = std::move(listener); }
    /// Applies new settings (hot reload). Keeps the state; resets the window if its shape changed.
    void reconfigure(const BreakerConfig &config);
    const BreakerConfig &config() const { return m_config; }

    /// May a call go out now? In half-open, each true consumes one probe permit.
    bool tryAcquire();
    /// Records the outcome of a call that was permitted.
    void record(CallOutcome outcome, Duration duration);
    /// Gives back a permit whose call never happened (refused before it started), so a
    /// half-open breaker is not left waiting for a probe that will never report.
    void releasePermit();

    /// Without consuming a permit: nullopt when a call would be admitted now, otherwise the
    /// time to ask again (when the breaker half-opens, or a probe may have finished).
    std::optional<SteadyTime> blockedUntil();

    /// Reads only (a paint may ask): the breaker moves on calls and on its timer source, never
    /// here. Without a timer source an open breaker half-opens on the next call, as resilience4j's
    /// does without its scheduler.
    BreakerState state() const;
    BreakerHealth health() const;
    BreakerMetrics metrics() const;
    /// Multiplier for retry delays: degradedSlowdown while Degraded, 1 otherwise.
    double delayFactor() const
    {
        return m_health == BreakerHealth::Degraded ? m_config.degradedSlowdown : 1.0;
    }

    // Operator overrides.
    void forceOpen();
    void disable();
    void reset(); ///< back to Closed/Healthy with an empty window

private:
    struct Bucket
    {
        std::int64_t second = -1;
        int calls = 0;
        int failed = 0;
        int slow = 0;
    };

    void clearWindow();
    void addToWindow(bool failed, bool slow, SteadyTime now);
    void advanceTimeWindow(std::int64_t second);
    void evaluateClosed(SteadyTime now);
    void evaluateHalfOpen(SteadyTime now);
    void maybeLeaveOpen(SteadyTime now);
    void transitionTo(BreakerState state, BreakerHealth health, SteadyTime now, QString cause,
                      const BreakerMetrics &m);
    void armTransitionTimer();
    int effectiveMinimumCalls() const;
    BreakerMetrics halfOpenMetrics() const;

    BreakerConfig m_config;
    const Clock &m_clock;
    TimerSource *m_timers;
    Listener m_listener;

    BreakerState m_state = BreakerState::Closed;
    BreakerHealth m_health = BreakerHealth::Healthy;
    SteadyTime m_openUntil{};
    SteadyTime m_halfOpenSince{};
    TimerId m_transitionTimer = 0;

    // Count-based: a ring of outcome flags. Time-based: one bucket per second.
    std::vector<std::uint8_t> m_ring;
    std::vector<Bucket> m_buckets;
    int m_ringHead = 0;
    std::int64_t m_lastSecond = -1;
    int m_calls = 0;
    int m_failed = 0;
    int m_slow = 0;

    int m_permitsIssued = 0;
    int m_probeCalls = 0;
    int m_probeFailed = 0;
    int m_probeSlow = 0;
};

} // namespace rebound
