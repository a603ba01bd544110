#include "guards/CircuitBreaker.h"

#include <algorithm>

namespace rebound {

namespace {
constexpr std::uint8_t kFailed = 1;
constexpr std::uint8_t kSlow = 2;
constexpr std::uint8_t kUsed = 4;

double rate(int part, int whole)
{
    return whole > 0 ? 100.0 * part / whole : -1;
}
} // namespace

QString toText(BreakerState s)
{
    switch (s) {
    case BreakerState::Closed:
        return QStringLiteral("closed");
    case BreakerState::Open:
        return QStringLiteral("open");
    case BreakerState::HalfOpen:
        return QStringLiteral("half_open");
    case BreakerState::ForcedOpen:
        return QStringLiteral("forced_open");
    case BreakerState::Disabled:
        return QStringLiteral("disabled");
    }
    return {};
}

QString toText(BreakerHealth h)
{
    switch (h) {
    case BreakerHealth::Healthy:
        return QStringLiteral("healthy");
    case BreakerHealth::Degraded:
        return QStringLiteral("degraded");
    case BreakerHealth::Open:
        return QStringLiteral("open");
    case BreakerHealth::HalfOpen:
        return QStringLiteral("half_open");
    case BreakerHealth::ForcedOpen:
        return QStringLiteral("forced_open");
    case BreakerHealth::Disabled:
        return QStringLiteral("disabled");
    }
    return {};
}

CircuitBreaker::CircuitBreaker(const BreakerConfig &config, const Clock &clock, TimerSource *timers)
    : m_config(config), m_clock(clock), m_timers(timers)
{
    clearWindow();
}

CircuitBreaker::~CircuitBreaker()
{
    if (m_timers && m_transitionTimer)
        m_timers->cancel(m_transitionTimer);
}

void CircuitBreaker::reconfigure(const BreakerConfig &config)
{
    const bool shapeChanged =
        config.windowType != m_config.windowType || config.windowSize != m_config.windowSize;
    m_config = config;
    if (shapeChanged)
        clearWindow();
}

void CircuitBreaker::clearWindow()
{
    const auto n = static_cast<std::size_t>(std::max(1, m_config.windowSize));
    if (m_config.windowType == SlidingWindowType::CountBased) {
        m_ring.assign(n, 0);
        m_buckets.clear();
    } else {
        m_buckets.assign(n, Bucket{});
        m_ring.clear();
    }
    m_ringHead = 0;
    m_lastSecond = -1;
    m_calls = m_failed = m_slow = 0;
}

int CircuitBreaker::effectiveMinimumCalls() const
{
    const int min = std::max(1, m_config.minimumNumberOfCalls);
    return m_config.windowType == SlidingWindowType::CountBased ? std::min(min, m_config.windowSize)
                                                                : min;
}

void CircuitBreaker::advanceTimeWindow(std::int64_t second)
{
    if (second <= m_lastSecond)
        return;
    const auto n = static_cast<std::int64_t>(m_buckets.size());
    // Clear the buckets of every second we skipped, at most one full turn.
    const std::int64_t from =
        m_lastSecond < 0 ? second - n + 1 : std::max(m_lastSecond + 1, second - n + 1);
    for (std::int64_t s = from; s <= second; ++s) {
        Bucket &b = m_buckets[static_cast<std::size_t>(((s % n) + n) % n)];
        m_calls -= b.calls;
        m_failed -= b.failed;
        m_slow -= b.slow;
        b = Bucket{s, 0, 0, 0};
    }
    m_lastSecond = second;
}

void CircuitBreaker::addToWindow(bool failed, bool slow, SteadyTime now)
{
    if (m_config.windowType == SlidingWindowType::CountBased) {
        std::uint8_t &slot = m_ring[static_cast<std::size_t>(m_ringHead)];
        if (slot & kUsed) {
            --m_calls;
            m_failed -= (slot & kFailed) ? 1 : 0;
            m_slow -= (slot & kSlow) ? 1 : 0;
        }
        slot = kUsed | (failed ? kFailed : 0) | (slow ? kSlow : 0);
        m_ringHead = (m_ringHead + 1) % static_cast<int>(m_ring.size());
    } else {
        const std::int64_t second = toMs(now) >= 0 ? toMs(now) / 1000 : (toMs(now) - 999) / 1000;
        advanceTimeWindow(second);
        const auto n = static_cast<std::int64_t>(m_buckets.size());
        Bucket &b = m_buckets[static_cast<std::size_t>(((second % n) + n) % n)];
        ++b.calls;
        b.failed += failed ? 1 : 0;
        b.slow += slow ? 1 : 0;
    }
    ++m_calls;
    m_failed += failed ? 1 : 0;
    m_slow += slow ? 1 : 0;
}

BreakerMetrics CircuitBreaker::metrics() const
{
    BreakerMetrics m;
    m.calls = m_calls;
    m.failedCalls = m_failed;
    m.slowCalls = m_slow;
    if (m_calls >= effectiveMinimumCalls()) {
        m.failureRate = rate(m_failed, m_calls);
        m.slowCallRate = rate(m_slow, m_calls);
    }
    return m;
}

BreakerMetrics CircuitBreaker::halfOpenMetrics() const
{
    return BreakerMetrics{rate(m_probeFailed, m_probeCalls), rate(m_probeSlow, m_probeCalls),
                          m_probeCalls, m_probeFailed, m_probeSlow};
}

void CircuitBreaker::transitionTo(BreakerState state, BreakerHealth health, SteadyTime now,
                                  QString cause, const BreakerMetrics &m)
{
    const BreakerHealth from = m_health;
    const BreakerState fromState = m_state;
    m_state = state;
    m_health = health;
    if (state == BreakerState::Open && fromState != BreakerState::Open)
        m_openUntil = now + Duration(m_config.waitDurationInOpenMs);
    if (state == BreakerState::HalfOpen) {
        m_halfOpenSince = now;
        m_permitsIssued = m_probeCalls = m_probeFailed = m_probeSlow = 0;
    }
    armTransitionTimer();
    if (from != health && m_listener)
        m_listener(BreakerTransition{from, health, now, m, std::move(cause)});
}

void CircuitBreaker::armTransitionTimer()
{
    if (!m_timers)
        return;
    if (m_transitionTimer) {
        m_timers->cancel(m_transitionTimer);
        m_transitionTimer = 0;
    }
    // The time-driven moves (open -> half-open after the wait, half-open -> open after the
    // maximum wait) happen here, on the timer source; reading the state never moves it.
    std::optional<SteadyTime> at;
    if (m_state == BreakerState::Open && m_config.automaticTransitionFromOpenToHalfOpen)
        at = m_openUntil;
    else if (m_state == BreakerState::HalfOpen && m_config.maxWaitInHalfOpenMs > 0)
        at = m_halfOpenSince + Duration(m_config.maxWaitInHalfOpenMs);
    if (!at)
        return;
    m_transitionTimer = m_timers->schedule(*at, [this] {
        m_transitionTimer = 0;
        maybeLeaveOpen(m_clock.steadyNow());
    });
}

void CircuitBreaker::maybeLeaveOpen(SteadyTime now)
{
    if (m_state == BreakerState::Open && now >= m_openUntil) {
        transitionTo(BreakerState::HalfOpen, BreakerHealth::HalfOpen, now,
                     QStringLiteral("wait in open elapsed"), metrics());
    } else if (m_state == BreakerState::HalfOpen && m_config.maxWaitInHalfOpenMs > 0 &&
               now >= m_halfOpenSince + Duration(m_config.maxWaitInHalfOpenMs)) {
        transitionTo(BreakerState::Open, BreakerHealth::Open, now,
                     QStringLiteral("max wait in half-open elapsed"), halfOpenMetrics());
    }
}

bool CircuitBreaker::tryAcquire()
{
    switch (m_state) {
    case BreakerState::Closed:
    case BreakerState::Disabled:
        return true;
    case BreakerState::ForcedOpen:
        return false;
    case BreakerState::Open:
    case BreakerState::HalfOpen:
        maybeLeaveOpen(m_clock.steadyNow());
        if (m_state != BreakerState::HalfOpen ||
            m_permitsIssued >= m_config.permittedCallsInHalfOpen)
            return false;
        ++m_permitsIssued;
        return true;
    }
    return false;
}

void CircuitBreaker::releasePermit()
{
    if (m_state == BreakerState::HalfOpen && m_permitsIssued > m_probeCalls)
        --m_permitsIssued;
}

std::optional<SteadyTime> CircuitBreaker::blockedUntil()
{
    const SteadyTime now = m_clock.steadyNow();
    switch (m_state) {
    case BreakerState::Closed:
    case BreakerState::Disabled:
        return std::nullopt;
    case BreakerState::ForcedOpen:
        return now + Duration(std::max<std::int64_t>(1000, m_config.waitDurationInOpenMs));
    case BreakerState::Open:
    case BreakerState::HalfOpen:
        maybeLeaveOpen(now);
        if (m_state == BreakerState::Open)
            return m_openUntil;
        if (m_permitsIssued < m_config.permittedCallsInHalfOpen)
            return std::nullopt;
        // All probes are out; their answers decide. Look again after a slow call's worth.
        return now + Duration(std::max<std::int64_t>(100, m_config.slowCallDurationThresholdMs));
    }
    return std::nullopt;
}

void CircuitBreaker::record(CallOutcome outcome, Duration duration)
{
    const bool failed = outcome == CallOutcome::Failure;
    const bool slow = duration.count() >= m_config.slowCallDurationThresholdMs;
    switch (m_state) {
    case BreakerState::Closed: {
        const bool timeBased = m_config.windowType == SlidingWindowType::TimeBased;
        const SteadyTime now = timeBased ? m_clock.steadyNow() : SteadyTime{};
        addToWindow(failed, slow, now);
        evaluateClosed(now);
        return;
    }
    case BreakerState::HalfOpen:
        ++m_probeCalls;
        m_probeFailed += failed ? 1 : 0;
        m_probeSlow += slow ? 1 : 0;
        evaluateHalfOpen(m_clock.steadyNow());
        return;
    case BreakerState::Open:
    case BreakerState::ForcedOpen:
    case BreakerState::Disabled:
        return; // calls not admitted by this state do not count
    }
}

void CircuitBreaker::evaluateClosed(SteadyTime now)
{
    if (m_calls < effectiveMinimumCalls()) {
        if (m_health != BreakerHealth::Healthy) // the window emptied out (time-based)
            transitionTo(BreakerState::Closed, BreakerHealth::Healthy,
                         now == SteadyTime{} ? m_clock.steadyNow() : now,
                         QStringLiteral("too few calls to judge"), metrics());
        return;
    }
    const double fr = 100.0 * m_failed / m_calls;
    const double sr = 100.0 * m_slow / m_calls;
    BreakerHealth target = BreakerHealth::Healthy;
    if (fr >= m_config.failureRateThreshold || sr >= m_config.slowCallRateThreshold) {
        target = BreakerHealth::Open;
    } else if (fr >= m_config.degradedFraction * m_config.failureRateThreshold ||
               sr >= m_config.degradedFraction * m_config.slowCallRateThreshold) {
        target = BreakerHealth::Degraded;
    }
    if (target == m_health)
        return; // the common case: no clock read, no allocation
    if (now == SteadyTime{})
        now = m_clock.steadyNow();
    const BreakerMetrics m = metrics();
    const double level = target == BreakerHealth::Open ? 1.0 : m_config.degradedFraction;
    QString cause;
    if (target == BreakerHealth::Healthy) {
        cause = QStringLiteral("rates below the degraded level");
    } else if (fr >= level * m_config.failureRateThreshold) {
        cause = QStringLiteral("failure rate %1% >= %2%")
                    .arg(fr, 0, 'f', 1)
                    .arg(level * m_config.failureRateThreshold, 0, 'f', 1);
    } else {
        cause = QStringLiteral("slow-call rate %1% >= %2%")
                    .arg(sr, 0, 'f', 1)
                    .arg(level * m_config.slowCallRateThreshold, 0, 'f', 1);
    }
    if (target == BreakerHealth::Open) {
        transitionTo(BreakerState::Open, BreakerHealth::Open, now, std::move(cause), m);
        clearWindow();
    } else {
        transitionTo(BreakerState::Closed, target, now, std::move(cause), m);
    }
}

void CircuitBreaker::evaluateHalfOpen(SteadyTime now)
{
    if (m_probeCalls < m_config.permittedCallsInHalfOpen)
        return;
    const BreakerMetrics m = halfOpenMetrics();
    if (m.failureRate >= m_config.failureRateThreshold ||
        m.slowCallRate >= m_config.slowCallRateThreshold) {
        transitionTo(BreakerState::Open, BreakerHealth::Open, now,
                     QStringLiteral("half-open probes failed: failure %1%, slow %2%")
                         .arg(m.failureRate, 0, 'f', 1)
                         .arg(m.slowCallRate, 0, 'f', 1),
                     m);
    } else {
        clearWindow();
        transitionTo(BreakerState::Closed, BreakerHealth::Healthy, now,
                     QStringLiteral("half-open probes passed"), m);
    }
}

BreakerState CircuitBreaker::state() const
{
    return m_state;
}

BreakerHealth CircuitBreaker::health() const
{
    return m_health;
}

void CircuitBreaker::forceOpen()
{
    transitionTo(BreakerState::ForcedOpen, BreakerHealth::ForcedOpen, m_clock.steadyNow(),
                 QStringLiteral("operator forced open"), metrics());
}

void CircuitBreaker::disable()
{
    transitionTo(BreakerState::Disabled, BreakerHealth::Disabled, m_clock.steadyNow(),
                 QStringLiteral("operator disabled"), metrics());
}

void CircuitBreaker::reset()
{
    const BreakerMetrics m = metrics();
    clearWindow();
    transitionTo(BreakerState::Closed, BreakerHealth::Healthy, m_clock.steadyNow(),
                 QStringLiteral("operator reset"), m);
}

} // namespace rebound
