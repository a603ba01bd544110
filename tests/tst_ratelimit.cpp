#include "guards/RetryBudget.h"
#include "support/TokenBucket.h"
#include "time/ManualClock.h"

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
    void ratioCap();
    void othersRetriesDoNotFreeMine();
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
    QCOMPARE(b.readyIn(), std::optional<Duration>(500ms)); // the next token, to the ms
    clock.advance(499ms);
    QVERIFY(!b.canRetry());
    QCOMPARE(b.readyIn(), std::optional<Duration>(1ms));
    clock.advance(1ms); // one token back after 500 ms
    QCOMPARE(b.readyIn(), std::optional<Duration>(0ms));
    QCOMPARE(b.headroom(), 1);
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
    QCOMPARE(b.headroom(), std::numeric_limits<int>::max());
}

void TestRateLimit::ratioCap()
{
    // Retries in the last 10 s <= 20 % of the attempts that ended in them, at least 2.
    ManualClock clock;
    BudgetConfig c;
    c.ratePerSecond = 0;
    c.budgetPercent = 0;
    c.maxTokens = 0;
    c.retryRatioPercent = 20;
    c.ratioMinRetries = 2;
    RetryBudget b(c, clock);
    QCOMPARE(b.ratioAllowance(), 2); // quiet: the floor
    QVERIFY(b.canRetry());
    for (int i = 0; i < 20; ++i)
        b.attemptEnded(false);
    QCOMPARE(b.ratioAllowance(), 4);
    for (int i = 0; i < 3; ++i)
        b.attemptEnded(true); // retries, whoever started them
    QCOMPARE(b.ratioRetries(), 3);
    QCOMPARE(b.ratioAllowance(), 4); // floor(20 % of 23)
    QVERIFY(b.canRetry());
    b.attemptStarted(true); // this member's own, still running: counts already
    QVERIFY(!b.canRetry());
    b.attemptFinished(true, false);
    b.attemptEnded(true);
    QCOMPARE(b.ratioRetries(), 4);
    QVERIFY(!b.canRetry()); // 4 of floor(4.8)
    // The window moves on at the next whole second: then, maybe, a retry fits.
    QCOMPARE(b.readyIn(), std::optional<Duration>(1000ms));
    // The window slides by whole seconds: at 9.999 s everything still counts, at 10 s the
    // first second's attempts are gone.
    clock.advance(std::chrono::milliseconds(9999));
    QCOMPARE(b.ratioRetries(), 4);
    b.attemptEnded(false);
    clock.advance(std::chrono::milliseconds(1));
    QCOMPARE(b.ratioRetries(), 0);
    QCOMPARE(b.ratioAllowance(), 2);
    QVERIFY(b.canRetry());
    // 0 switches it off.
    c.retryRatioPercent = 0;
    b.reconfigure(c);
    for (int i = 0; i < 100; ++i)
        b.attemptEnded(true);
    QVERIFY(b.canRetry());
}

void TestRateLimit::othersRetriesDoNotFreeMine()
{
    // In a fleet every member sees every retry end; only its own free its concurrency.
    ManualClock clock;
    BudgetConfig c;
    c.ratePerSecond = 0;
    c.budgetPercent = 20;
    c.minRetryConcurrency = 2;
    c.maxTokens = 10;
    c.tokenRatio = 1;
    RetryBudget b(c, clock);
    b.attemptStarted(true);
    b.attemptStarted(true);
    QVERIFY(!b.canRetry());
    QCOMPARE(b.readyIn(), std::nullopt); // only one of its retries ending frees it: no time
    QCOMPARE(b.headroom(), 0);
    b.attemptFinished(true, false, false); // another member's retry failed
    QCOMPARE(b.activeRetries(), 2);
    QCOMPARE(b.tokens(), 9.0); // ...and still tells the throttling how the dependency is
    QVERIFY(!b.canRetry());
    b.attemptFinished(true, true, true);
    QCOMPARE(b.activeRetries(), 1);
    QCOMPARE(b.tokens(), 10.0);
    QVERIFY(b.canRetry());
    QCOMPARE(b.headroom(), 1); // one more of two at once
}

QTEST_APPLESS_MAIN(TestRateLimit)
#include "tst_ratelimit.moc"
