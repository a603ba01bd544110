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
    void retryRate();
    void allDisabled();
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
    ManualClock clock;
    BudgetConfig c;
    c.ratePerSecond = 0;
    c.budgetPercent = 20;
    c.minRetryConcurrency = 2;
    c.maxTokens = 0;
    RetryBudget b(c, clock);
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
    ManualClock clock;
    BudgetConfig c;
    c.ratePerSecond = 0;
    c.budgetPercent = 0;
    c.maxTokens = 10;
    c.tokenRatio = 0.5;
    RetryBudget b(c, clock);
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

void TestRateLimit::retryRate()
{
    // 2 retries a second, 3 at once: the fourth in a burst waits for the bucket.
    ManualClock clock;
    BudgetConfig c;
    c.ratePerSecond = 2;
    c.burst = 3;
    c.budgetPercent = 0;
    RetryBudget b(c, clock);
    for (int i = 0; i < 3; ++i) {
        QVERIFY(b.canRetry());
        b.attemptStarted(true);
        b.attemptFinished(true, false);
    }
    QVERIFY(!b.canRetry());
    clock.advance(499ms);
    QVERIFY(!b.canRetry());
    clock.advance(1ms); // one token back after 500 ms
    QVERIFY(b.canRetry());
    QVERIFY(b.canRetry()); // asking takes nothing
    b.attemptStarted(true);
    QVERIFY(!b.canRetry());
    // First attempts are not retries: they take nothing from the retry rate.
    clock.advance(500ms);
    for (int i = 0; i < 10; ++i)
        b.attemptStarted(false);
    QVERIFY(b.canRetry());
    // A hot reload to a higher rate applies at once; 0 switches it off.
    c.ratePerSecond = 0;
    b.reconfigure(c);
    for (int i = 0; i < 100; ++i)
        b.attemptStarted(true);
    QVERIFY(b.canRetry());
}

void TestRateLimit::allDisabled()
{
    ManualClock clock;
    BudgetConfig c;
    c.ratePerSecond = 0;
    c.budgetPercent = 0;
    c.maxTokens = 0;
    RetryBudget b(c, clock);
    for (int i = 0; i < 1000; ++i)
        b.attemptStarted(true);
    QVERIFY(b.canRetry());
}

QTEST_APPLESS_MAIN(TestRateLimit)
#include "tst_ratelimit.moc"
