#include "guards/CircuitBreaker.h"
#include "time/ManualClock.h"

#include <QTest>

using namespace rebound;
using namespace std::chrono_literals;

class TestCircuitBreaker final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void staysClosedBelowMinimumCalls();
    void opensAtFailureThreshold_data();
    void opensAtFailureThreshold();
    void countWindowSlides();
    void opensOnSlowCallRate();
    void openRejectsThenHalfOpensOnTime();
    void lazyHalfOpenWithoutTimers();
    void readsDoNotMoveTheBreaker();
    void halfOpenPermitsAndClose();
    void halfOpenProbesFailReopen();
    void maxWaitInHalfOpen();
    void forcedStatesAndReset();
    void timeWindowEvictsOldCalls();
    void blockedUntil();
    void degradedSlowsRetries();
    void reconfigureKeepsState();
};

namespace {
BreakerConfig config(int window, int minCalls)
{
    BreakerConfig c;
    c.windowSize = window;
    c.minimumNumberOfCalls = minCalls;
    c.failureRateThreshold = 50;
    c.slowCallRateThreshold = 75;
    c.slowCallDurationThresholdMs = 2000;
    c.waitDurationInOpenMs = 10'000;
    c.permittedCallsInHalfOpen = 3;
    c.degradedFraction = 0.5;
    return c;
}

struct Recorder
{
    QList<BreakerTransition> events;
    void attach(CircuitBreaker &b)
    {
        b.setListener([this](const BreakerTransition &t) { events << t; });
    }
};

void calls(CircuitBreaker &b, int n, CallOutcome o, Duration d = 10ms)
{
    for (int i = 0; i < n; ++i) {
        QVERIFY(b.tryAcquire());
        b.record(o, d);
    }
}
} // namespace

void TestCircuitBreaker::staysClosedBelowMinimumCalls()
{
    ManualClock clock;
    CircuitBreaker b(config(10, 5), clock, &clock);
    Recorder rec;
    rec.attach(b);
    calls(b, 4, CallOutcome::Failure);
    QCOMPARE(b.state(), BreakerState::Closed);
    QCOMPARE(b.health(), BreakerHealth::Healthy);
    QCOMPARE(b.metrics().failureRate, -1.0);
    QCOMPARE(b.metrics().calls, 4);
    QVERIFY(rec.events.isEmpty());
    b.record(CallOutcome::Failure, 10ms);
    QCOMPARE(b.state(), BreakerState::Open);
    QCOMPARE(rec.events.size(), 1);
    QCOMPARE(rec.events[0].from, BreakerHealth::Healthy);
    QCOMPARE(rec.events[0].to, BreakerHealth::Open);
    QCOMPARE(rec.events[0].metrics.failureRate, 100.0);
    QCOMPARE(rec.events[0].metrics.calls, 5);
    QCOMPARE(rec.events[0].metrics.failedCalls, 5);
    QVERIFY(rec.events[0].cause.contains(QStringLiteral("failure rate")));
}

void TestCircuitBreaker::opensAtFailureThreshold_data()
{
    QTest::addColumn<int>("failures");
    QTest::addColumn<int>("successes");
    QTest::addColumn<int>("health");
    QTest::newRow("5/10 = 50% opens") << 5 << 5 << int(BreakerHealth::Open);
    QTest::newRow("4/10 = 40% degraded") << 4 << 6 << int(BreakerHealth::Degraded);
    QTest::newRow("3/10 = 30% degraded") << 3 << 7 << int(BreakerHealth::Degraded);
    QTest::newRow("2/10 = 20% healthy") << 2 << 8 << int(BreakerHealth::Healthy);
    QTest::newRow("0/10 healthy") << 0 << 10 << int(BreakerHealth::Healthy);
}

void TestCircuitBreaker::opensAtFailureThreshold()
{
    QFETCH(int, failures);
    QFETCH(int, successes);
    QFETCH(int, health);
    ManualClock clock;
    CircuitBreaker b(config(10, 10), clock, &clock);
    calls(b, successes, CallOutcome::Success);
    calls(b, failures, CallOutcome::Failure);
    QCOMPARE(int(b.health()), health);
    QCOMPARE(b.tryAcquire(), health != int(BreakerHealth::Open));
}

void TestCircuitBreaker::countWindowSlides()
{
    ManualClock clock;
    CircuitBreaker b(config(4, 4), clock, &clock);
    Recorder rec;
    rec.attach(b);
    calls(b, 4, CallOutcome::Success);
    QCOMPARE(b.metrics().failureRate, 0.0);
    calls(b, 1, CallOutcome::Failure); // window: S S S F
    QCOMPARE(b.metrics().failureRate, 25.0);
    QCOMPARE(b.health(), BreakerHealth::Degraded);
    calls(b, 4, CallOutcome::Success); // the failure slides out
    QCOMPARE(b.metrics().failedCalls, 0);
    QCOMPARE(b.health(), BreakerHealth::Healthy);
    calls(b, 1, CallOutcome::Failure); // S S S F: degraded again
    calls(b, 1, CallOutcome::Failure); // S S F F
    QCOMPARE(b.health(), BreakerHealth::Open);
    QCOMPARE(rec.events.size(), 4);
    QCOMPARE(rec.events[1].to, BreakerHealth::Healthy);
    QCOMPARE(rec.events[2].to, BreakerHealth::Degraded);
    QCOMPARE(rec.events[3].metrics.failureRate, 50.0);
    QCOMPARE(rec.events[3].metrics.calls, 4);
}

void TestCircuitBreaker::opensOnSlowCallRate()
{
    ManualClock clock;
    CircuitBreaker b(config(4, 4), clock, &clock);
    Recorder rec;
    rec.attach(b);
    calls(b, 1, CallOutcome::Success, 2500ms);
    calls(b, 1, CallOutcome::Success, 1999ms); // just under: not slow
    calls(b, 1, CallOutcome::Success, 2000ms); // at the threshold: slow
    calls(b, 1, CallOutcome::Success, 3000ms);
    QCOMPARE(b.health(), BreakerHealth::Open);
    QCOMPARE(rec.events.last().metrics.slowCalls, 3);
    QCOMPARE(b.metrics().calls, 0); // an open breaker starts its next closed period afresh
    QVERIFY(rec.events.last().cause.contains(QStringLiteral("slow-call rate")));
    QCOMPARE(rec.events.last().metrics.slowCallRate, 75.0);
}

void TestCircuitBreaker::openRejectsThenHalfOpensOnTime()
{
    ManualClock clock;
    CircuitBreaker b(config(4, 4), clock, &clock);
    Recorder rec;
    rec.attach(b);
    calls(b, 4, CallOutcome::Failure);
    QCOMPARE(b.state(), BreakerState::Open);
    QVERIFY(!b.tryAcquire());
    b.record(CallOutcome::Success, 1ms); // a straggler while open is ignored
    clock.advance(9'999ms);
    QVERIFY(!b.tryAcquire());
    QCOMPARE(rec.events.size(), 1);
    clock.advance(1ms); // the timer fires with no traffic at all
    QCOMPARE(rec.events.size(), 2);
    QCOMPARE(rec.events[1].to, BreakerHealth::HalfOpen);
    QCOMPARE(rec.events[1].at, steadyFromMs(10'000));
    QCOMPARE(b.state(), BreakerState::HalfOpen);
}

void TestCircuitBreaker::lazyHalfOpenWithoutTimers()
{
    ManualClock clock;
    BreakerConfig c = config(4, 4);
    CircuitBreaker b(c, clock); // no timer source: transitions happen on the next call
    Recorder rec;
    rec.attach(b);
    calls(b, 4, CallOutcome::Failure);
    clock.advance(10'000ms);
    // Reads never move the breaker (a table's paint asks for the health of every row).
    QCOMPARE(b.state(), BreakerState::Open);
    QCOMPARE(b.health(), BreakerHealth::Open);
    QCOMPARE(rec.events.size(), 1);
    QVERIFY(b.tryAcquire()); // the next call does
    QCOMPARE(b.state(), BreakerState::HalfOpen);
    QCOMPARE(rec.events.size(), 2);
    QCOMPARE(rec.events[1].at, steadyFromMs(10'000));
}

void TestCircuitBreaker::readsDoNotMoveTheBreaker()
{
    // With a timer source but no automatic open -> half-open, the wait elapsing changes nothing
    // until a call asks; reading in between emits nothing.
    ManualClock clock;
    BreakerConfig c = config(4, 4);
    c.automaticTransitionFromOpenToHalfOpen = false;
    CircuitBreaker b(c, clock, &clock);
    Recorder rec;
    rec.attach(b);
    calls(b, 4, CallOutcome::Failure);
    clock.advance(60s);
    for (int i = 0; i < 3; ++i) {
        QCOMPARE(b.state(), BreakerState::Open);
        QCOMPARE(b.health(), BreakerHealth::Open);
    }
    QCOMPARE(rec.events.size(), 1);
    QVERIFY(b.tryAcquire());
    QCOMPARE(b.state(), BreakerState::HalfOpen);
    QCOMPARE(rec.events.size(), 2);
}

void TestCircuitBreaker::halfOpenPermitsAndClose()
{
    ManualClock clock;
    CircuitBreaker b(config(4, 4), clock, &clock);
    Recorder rec;
    rec.attach(b);
    calls(b, 4, CallOutcome::Failure);
    clock.advance(10s);
    QVERIFY(b.tryAcquire());
    QVERIFY(b.tryAcquire());
    QVERIFY(b.tryAcquire());
    QVERIFY(!b.tryAcquire()); // only 3 probes
    b.record(CallOutcome::Success, 5ms);
    b.record(CallOutcome::Failure, 5ms);
    QCOMPARE(b.state(), BreakerState::HalfOpen);
    b.record(CallOutcome::Success, 5ms); // 1/3 failed = 33% < 50%
    QCOMPARE(b.state(), BreakerState::Closed);
    QCOMPARE(b.health(), BreakerHealth::Healthy);
    QCOMPARE(rec.events.last().metrics.calls, 3);
    QCOMPARE(rec.events.last().metrics.failedCalls, 1);
    QCOMPARE(b.metrics().calls, 0); // fresh window after closing
    QVERIFY(b.tryAcquire());
}

void TestCircuitBreaker::halfOpenProbesFailReopen()
{
    ManualClock clock;
    CircuitBreaker b(config(4, 4), clock, &clock);
    calls(b, 4, CallOutcome::Failure);
    clock.advance(10s);
    calls(b, 1, CallOutcome::Success);
    calls(b, 2, CallOutcome::Failure); // 2/3 = 66.7%
    QCOMPARE(b.state(), BreakerState::Open);
    QCOMPARE(*b.blockedUntil(), steadyFromMs(20'000));
}

void TestCircuitBreaker::maxWaitInHalfOpen()
{
    ManualClock clock;
    BreakerConfig c = config(4, 4);
    c.maxWaitInHalfOpenMs = 5'000;
    CircuitBreaker b(c, clock, &clock);
    Recorder rec;
    rec.attach(b);
    calls(b, 4, CallOutcome::Failure);
    clock.advance(10s);
    QVERIFY(b.tryAcquire()); // one probe goes out and never answers
    clock.advance(4'999ms);
    QCOMPARE(b.state(), BreakerState::HalfOpen);
    clock.advance(1ms);
    QCOMPARE(b.state(), BreakerState::Open);
    QVERIFY(rec.events.last().cause.contains(QStringLiteral("max wait")));
}

void TestCircuitBreaker::forcedStatesAndReset()
{
    ManualClock clock;
    CircuitBreaker b(config(4, 4), clock, &clock);
    Recorder rec;
    rec.attach(b);
    b.forceOpen();
    QCOMPARE(b.health(), BreakerHealth::ForcedOpen);
    QVERIFY(!b.tryAcquire());
    clock.advance(1h); // forced open never half-opens by itself
    QVERIFY(!b.tryAcquire());
    QVERIFY(b.blockedUntil().has_value());
    b.reset();
    QCOMPARE(b.health(), BreakerHealth::Healthy);
    QVERIFY(b.tryAcquire());
    b.disable();
    for (int i = 0; i < 100; ++i) {
        QVERIFY(b.tryAcquire());
        b.record(CallOutcome::Failure, 10ms);
    }
    QCOMPARE(b.health(), BreakerHealth::Disabled);
    QCOMPARE(b.metrics().calls, 0);
    b.reset();
    calls(b, 4, CallOutcome::Failure);
    QCOMPARE(b.health(), BreakerHealth::Open);
    QCOMPARE(rec.events.size(), 5);
    QCOMPARE(rec.events[0].cause, QStringLiteral("operator forced open"));
}

void TestCircuitBreaker::timeWindowEvictsOldCalls()
{
    ManualClock clock;
    BreakerConfig c = config(10, 4); // 10 one-second buckets
    c.windowType = SlidingWindowType::TimeBased;
    CircuitBreaker b(c, clock, &clock);
    calls(b, 3, CallOutcome::Failure); // second 0
    clock.advance(9s);
    QCOMPARE(b.metrics().calls, 3);
    clock.advance(1s); // second 10: second 0 has left the 10-second window
    calls(b, 1, CallOutcome::Success);
    QCOMPARE(b.metrics().calls, 1); // without eviction this would be 3F/4 = 75% and open
    QCOMPARE(b.state(), BreakerState::Closed);
    calls(b, 3, CallOutcome::Failure); // 3F 1S within the window
    QCOMPARE(b.state(), BreakerState::Open);
    // A long quiet gap clears every bucket at once.
    b.reset();
    calls(b, 2, CallOutcome::Failure);
    clock.advance(1h);
    calls(b, 2, CallOutcome::Failure);
    QCOMPARE(b.metrics().calls, 2);
    QCOMPARE(b.state(), BreakerState::Closed);
}

void TestCircuitBreaker::blockedUntil()
{
    ManualClock clock;
    CircuitBreaker b(config(4, 4), clock, &clock);
    QVERIFY(!b.blockedUntil());
    calls(b, 4, CallOutcome::Failure);
    QCOMPARE(*b.blockedUntil(), steadyFromMs(10'000));
    clock.advance(10s);
    QVERIFY(!b.blockedUntil()); // half-open with probes left: admit
    calls(b, 3, CallOutcome::Success, 1ms);
    QVERIFY(!b.blockedUntil()); // closed again
}

void TestCircuitBreaker::degradedSlowsRetries()
{
    ManualClock clock;
    BreakerConfig c = config(4, 4);
    c.degradedSlowdown = 3;
    CircuitBreaker b(c, clock, &clock);
    calls(b, 3, CallOutcome::Success);
    QCOMPARE(b.delayFactor(), 1.0);
    calls(b, 1, CallOutcome::Failure);
    QCOMPARE(b.health(), BreakerHealth::Degraded);
    QCOMPARE(b.delayFactor(), 3.0);
}

void TestCircuitBreaker::reconfigureKeepsState()
{
    ManualClock clock;
    CircuitBreaker b(config(4, 4), clock, &clock);
    calls(b, 4, CallOutcome::Failure);
    BreakerConfig c = config(4, 4);
    c.waitDurationInOpenMs = 1;
    b.reconfigure(c);
    QCOMPARE(b.state(), BreakerState::Open);
    c.windowSize = 8;
    b.reconfigure(c);
    QCOMPARE(b.metrics().calls, 0);
}

QTEST_APPLESS_MAIN(TestCircuitBreaker)
#include "tst_circuitbreaker.moc"
