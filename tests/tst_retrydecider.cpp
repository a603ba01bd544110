#include "ScriptedRandom.h"
#include "engine/RetryDecider.h"
#include "guards/CircuitBreaker.h"
#include "guards/HealthMonitor.h"
#include "guards/RetryBudget.h"
#include "time/ManualClock.h"

#include <QTest>

using namespace rebound;
using namespace std::chrono_literals;

class TestRetryDecider final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void stops_data();
    void stops();
    void retryWithBackoff();
    void retryAfterWinsAndIsNotCappedByBackoffCap();
    void retryAfterLimitedByItsOwnField();
    void retryAfterPastDeadlineStops();
    void backoffPastDeadlineStops();
    void pausedDefers();
    void breakerDefersUntilHalfOpenAndNeverStops();
    void budgetDefers();
    void unhealthyDefers();
    void unhealthyNeedsEvidence();
    void degradedSlowsDown();
    void retryTimeNeverInThePast();
};

namespace {
RetryPolicy policy()
{
    RetryPolicy p;
    p.name = QStringLiteral("t");
    p.backoff.initialDelayMs = 100;
    p.backoff.multiplier = 2;
    p.backoff.maxDelayMs = 1000;
    p.backoff.maxAttempts = 4;
    p.backoff.totalDeadlineMs = 60'000;
    p.backoff.jitter = JitterMode::None;
    p.backoff.maxRetryAfterMs = 30'000;
    p.budget.recheckMs = 1500;
    p.health.recheckMs = 7000;
    return p;
}

RetryContext failedAt(std::int64_t endMs, int attempts = 1)
{
    RetryContext c;
    c.classification = {ErrorClass::Transient, true, QStringLiteral("http 503")};
    c.attemptsMade = attempts;
    c.firstAttemptStart = steadyFromMs(0);
    c.failedAttemptEnd = steadyFromMs(endMs);
    return c;
}
} // namespace

void TestRetryDecider::stops_data()
{
    QTest::addColumn<bool>("cancelled");
    QTest::addColumn<bool>("retryable");
    QTest::addColumn<int>("attempts");
    QTest::addColumn<qint64>("nowMs");
    QTest::addColumn<int>("reason");
    QTest::newRow("cancelled first")
        << true << false << 9 << qint64(99'999) << int(StopReason::Cancelled);
    QTest::newRow("not retryable")
        << false << false << 9 << qint64(99'999) << int(StopReason::NotRetryable);
    QTest::newRow("exhausted") << false << true << 4 << qint64(1000) << int(StopReason::Exhausted);
    QTest::newRow("deadline passed")
        << false << true << 2 << qint64(60'000) << int(StopReason::DeadlineExceeded);
}

void TestRetryDecider::stops()
{
    QFETCH(bool, cancelled);
    QFETCH(bool, retryable);
    QFETCH(int, attempts);
    QFETCH(qint64, nowMs);
    QFETCH(int, reason);
    RetryPolicy p = policy();
    BackoffSequence seq(p.backoff);
    ScriptedRandom rng({0.5});
    RetryContext ctx = failedAt(nowMs, attempts);
    ctx.cancelled = cancelled;
    ctx.classification.retryable = retryable;
    const RetryDecision d = RetryDecider::decide(ctx, p, seq, rng, {}, steadyFromMs(nowMs));
    QVERIFY(std::holds_alternative<StopPlan>(d));
    QCOMPARE(int(std::get<StopPlan>(d).reason), reason);
}

void TestRetryDecider::retryWithBackoff()
{
    RetryPolicy p = policy();
    BackoffSequence seq(p.backoff);
    ScriptedRandom rng({0.5});
    for (int attempts = 1; attempts <= 3; ++attempts) {
        const RetryDecision d =
            RetryDecider::decide(failedAt(5000, attempts), p, seq, rng, {}, steadyFromMs(5000));
        QVERIFY(std::holds_alternative<RetryPlan>(d));
        const RetryPlan &r = std::get<RetryPlan>(d);
        QCOMPARE(r.retry, attempts);
        QCOMPARE(r.delay, Duration(100 << (attempts - 1)));
        QCOMPARE(r.at, steadyFromMs(5000 + (100 << (attempts - 1))));
        QCOMPARE(r.nominalMs, double(100 << (attempts - 1)));
        QVERIFY(!r.retryAfter);
    }
    p.backoff.jitter = JitterMode::Full;
    seq.reset(p.backoff);
    const RetryPlan r =
        std::get<RetryPlan>(RetryDecider::decide(failedAt(0), p, seq, rng, {}, steadyFromMs(0)));
    QCOMPARE(r.jitteredMs, 50.0);
    QCOMPARE(r.delay, 50ms);
    QVERIFY(describe(r, steadyFromMs(0)).contains(QStringLiteral("full jitter")));
}

void TestRetryDecider::retryAfterWinsAndIsNotCappedByBackoffCap()
{
    RetryPolicy p = policy();
    BackoffSequence seq(p.backoff);
    ScriptedRandom rng({0.5});
    RetryContext ctx = failedAt(2000);
    ctx.retryAfter = 5000ms; // longer than the backoff cap (1000 ms)
    const RetryPlan r =
        std::get<RetryPlan>(RetryDecider::decide(ctx, p, seq, rng, {}, steadyFromMs(2010)));
    QCOMPARE(r.delay, 5000ms);
    QVERIFY(r.retryAfterUsed);
    QCOMPARE(r.at, steadyFromMs(7000)); // counted from the end of the failed attempt
    ctx.retryAfter = 10ms; // shorter than the backoff: backoff wins (same retry decided again)
    const RetryPlan r2 =
        std::get<RetryPlan>(RetryDecider::decide(ctx, p, seq, rng, {}, steadyFromMs(2010)));
    QCOMPARE(r2.retry, 1);
    QCOMPARE(r2.delay, 100ms);
    QVERIFY(!r2.retryAfterUsed);
    QCOMPARE(*r2.retryAfter, 10ms);
}

void TestRetryDecider::retryAfterLimitedByItsOwnField()
{
    RetryPolicy p = policy();
    BackoffSequence seq(p.backoff);
    ScriptedRandom rng({0.5});
    RetryContext ctx = failedAt(0);
    ctx.retryAfter = 45'000ms;
    const RetryPlan r =
        std::get<RetryPlan>(RetryDecider::decide(ctx, p, seq, rng, {}, steadyFromMs(0)));
    QCOMPARE(r.delay, 30'000ms);
}

void TestRetryDecider::retryAfterPastDeadlineStops()
{
    RetryPolicy p = policy();
    BackoffSequence seq(p.backoff);
    ScriptedRandom rng({0.5});
    RetryContext ctx = failedAt(40'000);
    ctx.retryAfter = 25'000ms; // 65 s > 60 s deadline
    const RetryDecision d = RetryDecider::decide(ctx, p, seq, rng, {}, steadyFromMs(40'000));
    QCOMPARE(std::get<StopPlan>(d).reason, StopReason::DeadlineExceeded);
}

void TestRetryDecider::backoffPastDeadlineStops()
{
    RetryPolicy p = policy();
    BackoffSequence seq(p.backoff);
    ScriptedRandom rng({0.5});
    const RetryDecision d =
        RetryDecider::decide(failedAt(59'950), p, seq, rng, {}, steadyFromMs(59'950));
    QCOMPARE(std::get<StopPlan>(d).reason, StopReason::DeadlineExceeded);
    p.backoff.totalDeadlineMs = 0; // no deadline
    seq.reset(p.backoff);
    QVERIFY(std::holds_alternative<RetryPlan>(
        RetryDecider::decide(failedAt(10'000'000), p, seq, rng, {}, steadyFromMs(10'000'000))));
}

void TestRetryDecider::pausedDefers()
{
    RetryPolicy p = policy();
    BackoffSequence seq(p.backoff);
    ScriptedRandom rng({0.5});
    RetryContext ctx = failedAt(0);
    ctx.paused = true;
    const DeferPlan d =
        std::get<DeferPlan>(RetryDecider::decide(ctx, p, seq, rng, {}, steadyFromMs(0)));
    QCOMPARE(d.reason, DeferReason::Paused);
    QVERIFY(!d.recheckAt);
    QCOMPARE(seq.nextRetry(), 1); // deferrals do not use up a retry
    QCOMPARE(rng.draws(), 0);
}

void TestRetryDecider::breakerDefersUntilHalfOpenAndNeverStops()
{
    ManualClock clock;
    RetryPolicy p = policy();
    p.breaker.windowSize = 4;
    p.breaker.minimumNumberOfCalls = 4;
    p.breaker.waitDurationInOpenMs = 10'000;
    CircuitBreaker breaker(p.breaker, clock, &clock);
    for (int i = 0; i < 4; ++i) {
        QVERIFY(breaker.tryAcquire());
        breaker.record(CallOutcome::Failure, 5ms);
    }
    BackoffSequence seq(p.backoff);
    ScriptedRandom rng({0.5});
    RetryGates gates{&breaker, nullptr, nullptr};
    for (int i = 0; i < 5; ++i) { // re-deciding again and again: still only deferred
        const DeferPlan d = std::get<DeferPlan>(
            RetryDecider::decide(failedAt(0), p, seq, rng, gates, clock.steadyNow()));
        QCOMPARE(d.reason, DeferReason::BreakerOpen);
        QCOMPARE(*d.recheckAt, steadyFromMs(10'000));
        clock.advance(1s);
    }
    clock.advance(5s); // half-open now
    const RetryPlan r = std::get<RetryPlan>(
        RetryDecider::decide(failedAt(0), p, seq, rng, gates, clock.steadyNow()));
    QCOMPARE(r.retry, 1);
    QCOMPARE(r.at, clock.steadyNow()); // the backoff already elapsed while deferred
}

void TestRetryDecider::budgetDefers()
{
    RetryPolicy p = policy();
    p.budget.budgetPercent = 10;
    p.budget.minRetryConcurrency = 1;
    ManualClock clock;
    RetryBudget budget(p.budget, clock);
    budget.attemptStarted(true);
    BackoffSequence seq(p.backoff);
    ScriptedRandom rng({0.5});
    const DeferPlan d = std::get<DeferPlan>(RetryDecider::decide(
        failedAt(100), p, seq, rng, {nullptr, &budget, nullptr}, steadyFromMs(100)));
    QCOMPARE(d.reason, DeferReason::BudgetExhausted);
    QCOMPARE(*d.recheckAt, steadyFromMs(1600));
    budget.attemptFinished(true, true);
    QVERIFY(std::holds_alternative<RetryPlan>(RetryDecider::decide(
        failedAt(100), p, seq, rng, {nullptr, &budget, nullptr}, steadyFromMs(100))));

    // Held by the rate limit alone: decided again at its next token, not a recheck later.
    p.budget.budgetPercent = 0;
    p.budget.ratePerSecond = 4;
    p.budget.burst = 1;
    RetryBudget rate(p.budget, clock);
    rate.attemptStarted(true);
    rate.attemptFinished(true, false);
    clock.advance(100ms);
    const DeferPlan r = std::get<DeferPlan>(RetryDecider::decide(
        failedAt(0), p, seq, rng, {nullptr, &rate, nullptr}, clock.steadyNow()));
    QCOMPARE(r.reason, DeferReason::BudgetExhausted);
    QCOMPARE(*r.recheckAt, clock.steadyNow() + 150ms); // 250 ms a token, 100 ms of it passed
}

void TestRetryDecider::unhealthyDefers()
{
    ManualClock clock;
    RetryPolicy p = policy();
    HealthMonitor health(p.health, clock);
    for (int i = 0; i < 10; ++i)
        health.record(true, 800ms, false);
    BackoffSequence seq(p.backoff);
    ScriptedRandom rng({0.5});
    const DeferPlan d = std::get<DeferPlan>(RetryDecider::decide(
        failedAt(0), p, seq, rng, {nullptr, nullptr, &health}, steadyFromMs(0)));
    QCOMPARE(d.reason, DeferReason::Unhealthy);
    QCOMPARE(*d.recheckAt, steadyFromMs(7000));
    // What the decision saw, for the operator: errors 1 x 0.6 + latency 1 x 0.3 against 0.8.
    QVERIFY2(qFuzzyCompare(d.healthScore, 0.9), qPrintable(QString::number(d.healthScore)));
    QCOMPARE(d.unhealthyScore, p.health.unhealthyScore);
    QCOMPARE(d.errorRate, 1.0);
    QCOMPARE(d.meanLatencyMs, 800.0);
}

void TestRetryDecider::unhealthyNeedsEvidence()
{
    // The first slow failures of a type never seen before: 9 of the 10 calls the policy asks
    // for. The score alone would be 0.9; the retry is scheduled, not deferred.
    ManualClock clock;
    RetryPolicy p = policy();
    HealthMonitor health(p.health, clock);
    for (int i = 0; i < 9; ++i)
        health.record(true, 800ms, false);
    BackoffSequence seq(p.backoff);
    ScriptedRandom rng({0.5});
    QVERIFY(std::holds_alternative<RetryPlan>(RetryDecider::decide(
        failedAt(0), p, seq, rng, {nullptr, nullptr, &health}, steadyFromMs(0))));
    health.record(true, 800ms, false);
    QVERIFY(std::holds_alternative<DeferPlan>(RetryDecider::decide(
        failedAt(0), p, seq, rng, {nullptr, nullptr, &health}, steadyFromMs(0))));
}

void TestRetryDecider::degradedSlowsDown()
{
    ManualClock clock;
    RetryPolicy p = policy();
    p.breaker.windowSize = 10;
    p.breaker.minimumNumberOfCalls = 10;
    p.breaker.degradedSlowdown = 4;
    CircuitBreaker breaker(p.breaker, clock, &clock);
    for (int i = 0; i < 10; ++i) {
        QVERIFY(breaker.tryAcquire());
        breaker.record(i < 3 ? CallOutcome::Failure : CallOutcome::Success, 5ms);
    }
    QCOMPARE(breaker.health(), BreakerHealth::Degraded);
    BackoffSequence seq(p.backoff);
    ScriptedRandom rng({0.5});
    const RetryPlan r = std::get<RetryPlan>(RetryDecider::decide(
        failedAt(0), p, seq, rng, {&breaker, nullptr, nullptr}, steadyFromMs(0)));
    QCOMPARE(r.slowdown, 4.0);
    QCOMPARE(r.delay, 400ms);
}

void TestRetryDecider::retryTimeNeverInThePast()
{
    RetryPolicy p = policy();
    BackoffSequence seq(p.backoff);
    ScriptedRandom rng({0.5});
    const RetryPlan r = std::get<RetryPlan>(
        RetryDecider::decide(failedAt(1000), p, seq, rng, {}, steadyFromMs(9000)));
    QCOMPARE(r.at, steadyFromMs(9000));
}

QTEST_APPLESS_MAIN(TestRetryDecider)
#include "tst_retrydecider.moc"
