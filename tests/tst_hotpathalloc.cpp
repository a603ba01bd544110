// Counts heap allocations on the engine's hot paths. The count is exact and deterministic, so
// this is a real test (not a benchmark): any allocation that creeps into these paths fails it.
#include "AllocationCounter.h"
#include "decision/BackoffSequence.h"
#include "guards/AdaptiveTimeout.h"
#include "guards/CircuitBreaker.h"
#include "guards/HealthMonitor.h"
#include "guards/RetryBudget.h"
#include "support/TokenBucket.h"
#include "time/ManualClock.h"
#include "time/SeededRandom.h"

#include <QTest>

#include <atomic>
#include <cstdlib>
#include <new>

using namespace rebound;
using namespace std::chrono_literals;

class TestHotPathAlloc final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void counterWorks();
    void breakerDecisionAndRecord_data();
    void breakerDecisionAndRecord();
    void backoffNextDelay();
    void percentileUpdate();
    void healthScore();
    void budgetsAndBuckets();
};

void TestHotPathAlloc::counterWorks()
{
    const long before = g_allocations.load();
    // Through a volatile pointer so the compiler cannot elide the new/delete pair.
    void *(*volatile allocate)(std::size_t) = static_cast<void *(*)(std::size_t)>(&::operator new);
    void *p = allocate(64);
    ::operator delete(p);
    QCOMPARE(g_allocations.load() - before, 1L);
}

void TestHotPathAlloc::breakerDecisionAndRecord_data()
{
    QTest::addColumn<int>("windowType");
    QTest::newRow("count") << int(SlidingWindowType::CountBased);
    QTest::newRow("time") << int(SlidingWindowType::TimeBased);
}

void TestHotPathAlloc::breakerDecisionAndRecord()
{
    QFETCH(int, windowType);
    ManualClock clock;
    BreakerConfig c;
    c.windowType = static_cast<SlidingWindowType>(windowType);
    c.windowSize = 60;
    CircuitBreaker b(c, clock, &clock);
    const long before = g_allocations.load();
    for (int i = 0; i < 100'000; ++i) {
        QVERIFY(b.tryAcquire());
        // 10% failures and 20% slow calls in every window: below the degraded level, so no
        // transition (transitions may allocate their event text; decisions must not).
        b.record(i % 10 == 0 ? CallOutcome::Failure : CallOutcome::Success,
                 Duration(i % 5 == 0 ? 2500 : 10));
        if (i % 100 == 0)
            clock.advance(250ms); // moves the time window through every bucket many times
    }
    QCOMPARE(g_allocations.load() - before, 0L);
    QCOMPARE(b.health(), BreakerHealth::Healthy);
}

void TestHotPathAlloc::backoffNextDelay()
{
    BackoffConfig c;
    SeededRandom rng(1);
    for (JitterMode m : {JitterMode::None, JitterMode::Full, JitterMode::Equal,
                         JitterMode::Decorrelated, JitterMode::Proportional}) {
        c.jitter = m;
        BackoffSequence seq(c);
        const long before = g_allocations.load();
        double sum = 0;
        for (int i = 0; i < 100'000; ++i)
            sum += seq.next(rng).delayMs;
        QCOMPARE(g_allocations.load() - before, 0L);
        QVERIFY(sum > 0 || m == JitterMode::Full);
    }
}

void TestHotPathAlloc::percentileUpdate()
{
    AdaptiveTimeout t(TimeoutConfig{});
    const long before = g_allocations.load();
    for (int i = 0; i < 100'000; ++i) {
        t.record(std::chrono::microseconds(i * 37 % 900'000));
        if (i % 1000 == 0)
            QVERIFY(t.current().count() > 0);
    }
    QCOMPARE(g_allocations.load() - before, 0L);
}

void TestHotPathAlloc::healthScore()
{
    ManualClock clock;
    HealthMonitor h(HealthConfig{}, clock);
    const long before = g_allocations.load();
    for (int i = 0; i < 100'000; ++i) {
        h.record(i % 7 == 0, Duration(i % 400), i % 50 == 0);
        if (i % 10 == 0)
            QVERIFY(h.score().calls > 0);
        if (i % 1000 == 0)
            clock.advance(1s);
    }
    QCOMPARE(g_allocations.load() - before, 0L);
}

void TestHotPathAlloc::budgetsAndBuckets()
{
    ManualClock clock;
    TokenBucket bucket(1000, 100, clock);
    BudgetConfig bc;
    bc.maxTokens = 10;
    RetryBudget budget(bc, clock);
    const long before = g_allocations.load();
    int admitted = 0;
    for (int i = 0; i < 100'000; ++i) {
        admitted += bucket.tryAcquire() ? 1 : 0;
        budget.attemptStarted(i % 2 == 0);
        admitted += budget.canRetry() ? 1 : 0;
        budget.attemptFinished(i % 2 == 0, i % 3 != 0);
        clock.advance(1ms);
    }
    QCOMPARE(g_allocations.load() - before, 0L);
    QVERIFY(admitted > 0);
}

QTEST_APPLESS_MAIN(TestHotPathAlloc)
#include "tst_hotpathalloc.moc"
