#include "ManualClock.h"
#include "RetryBudget.h"
#include "TokenBucket.h"

#include <QTest>

using namespace rebound;
using namespace std::chrono_literals;

class TestRateLimit final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void tokenBucketBurstAndRefill();
    void tokenBucketZeroRate();
    void envoyBudget();
    void grpcThrottling();
    void bothDisabled();
};

void TestRateLimit::tokenBucketBurstAndRefill()
{
    ManualClock clock;
    TokenBucket b(10, 5, clock); // 10/s, burst 5
    for (int i = 0; i < 5; ++i)
        QVERIFY(b.tryAcquire());
    QVERIFY(!b.tryAcquire());
    QCOMPARE(b.timeUntilAvailable(), 100ms);
    clock.advance(99ms);
    QVERIFY(!b.tryAcquire());
    clock.advance(1ms);
    QVERIFY(b.tryAcquire());
    clock.advance(10s); // refills only up to the burst
    QCOMPARE(b.available(), 5.0);
    QVERIFY(b.tryAcquire(5));
    QVERIFY(!b.tryAcquire(0.5));
    b.reconfigure(1000, 2);
    clock.advance(1ms);
    QCOMPARE(b.available(), 1.0);
}

void TestRateLimit::tokenBucketZeroRate()
{
    ManualClock clock;
    TokenBucket b(0, 1, clock);
    QVERIFY(b.tryAcquire());
    QCOMPARE(b.timeUntilAvailable(), Duration::max());
    QCOMPARE(b.timeUntilAvailable(2), Duration::max());
}

void TestRateLimit::envoyBudget()
{
    BudgetConfig c;
    c.budgetPercent = 20;
    c.minRetryConcurrency = 2;
    c.maxTokens = 0;
    RetryBudget b(c);
    QCOMPARE(b.allowedConcurrentRetries(), 2);
    b.attemptStarted(true);
    QVERIFY(b.canRetry());
    b.attemptStarted(true);
    QVERIFY(!b.canRetry()); // 2 retries in flight, min concurrency 2
    for (int i = 0; i < 13; ++i)
        b.attemptStarted(false);
    QCOMPARE(b.activeAttempts(), 15);
    QCOMPARE(b.allowedConcurrentRetries(), 3); // 20% of 15
    QVERIFY(b.canRetry());
    b.attemptStarted(true);
    QVERIFY(!b.canRetry());
    b.attemptFinished(true, false);
    QCOMPARE(b.activeRetries(), 2);
    QVERIFY(b.canRetry());
}

void TestRateLimit::grpcThrottling()
{
    BudgetConfig c;
    c.budgetPercent = 0;
    c.maxTokens = 10;
    c.tokenRatio = 0.5;
    RetryBudget b(c);
    QCOMPARE(b.tokens(), 10.0);
    for (int i = 0; i < 4; ++i)
        b.attemptFinished(false, false);
    QCOMPARE(b.tokens(), 6.0);
    QVERIFY(b.canRetry()); // 6 > 5
    b.attemptFinished(false, false);
    QCOMPARE(b.tokens(), 5.0);
    QVERIFY(!b.canRetry()); // must be strictly above half
    b.attemptFinished(false, true);
    QCOMPARE(b.tokens(), 5.5);
    QVERIFY(b.canRetry());
    for (int i = 0; i < 100; ++i)
        b.attemptFinished(false, true);
    QCOMPARE(b.tokens(), 10.0); // capped
    for (int i = 0; i < 100; ++i)
        b.attemptFinished(false, false);
    QCOMPARE(b.tokens(), 0.0); // floored
}

void TestRateLimit::bothDisabled()
{
    BudgetConfig c;
    c.budgetPercent = 0;
    c.maxTokens = 0;
    RetryBudget b(c);
    for (int i = 0; i < 1000; ++i)
        b.attemptStarted(true);
    QVERIFY(b.canRetry());
}

QTEST_APPLESS_MAIN(TestRateLimit)
#include "tst_ratelimit.moc"
