// Integration: HiredisWire and SharedRetryBudget against a real redis-server on a loopback
// port — the script on Redis's clock, two members sharing one limit, the password, and the
// fallback while Redis is stopped or paused.
#include "RedisProcess.h"
#include "fleet/HiredisWire.h"
#include "fleet/SharedRetryBudget.h"
#include "time/QtTimerSource.h"
#include "time/SystemClock.h"

#include <QElapsedTimer>
#include <QTest>

using namespace rebound;
using namespace std::chrono_literals;

class TestRedis : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void scriptLimitsOnRedisClock();
    void twoMembersShareOneLimit();
    void passwordIsSentAndChecked();
    void stoppedOrPausedRedisFallsBackAndReturns();
};

namespace {

const GuardKey kKey{QStringLiteral("http://127.0.0.1:1"), QStringLiteral("email")};

BudgetConfig budget(double rate, double burst)
{
    BudgetConfig b;
    b.ratePerSecond = rate;
    b.burst = burst;
    return b;
}

/// Asks for one permit and waits for the answer.
RetryPermit ask(SharedRetryBudget &b, const BudgetConfig &config)
{
    std::optional<RetryPermit> got;
    b.acquire(kKey, config, [&got](RetryPermit p) { got = p; });
    if (!QTest::qWaitFor([&got] { return got.has_value(); }, 5000))
        qWarning("no answer to a permit in 5 s");
    return got.value_or(RetryPermit{});
}

struct Member
{
    Member(quint16 port, QByteArray password = {})
        : wire(QStringLiteral("127.0.0.1"), port, std::move(password)), timers(clock),
          budget(wire, clock, timers, {}, [] { return 2; })
    {}
    SystemClock clock;
    HiredisWire wire;
    QtTimerSource timers;
    SharedRetryBudget budget;
};

} // namespace

void TestRedis::scriptLimitsOnRedisClock()
{
    RedisProcess redis;
    QVERIFY2(redis.start(), qPrintable(redis.error));
    Member m(redis.port);
    QTRY_COMPARE_WITH_TIMEOUT(m.budget.mode(), SharedRetryBudget::Mode::Shared, 5000);
    // 1 per second, 3 at once: three granted, the fourth told to wait under a second.
    const BudgetConfig b = budget(1, 3);
    for (int i = 0; i < 3; ++i)
        QVERIFY(ask(m.budget, b).granted);
    const RetryPermit refused = ask(m.budget, b);
    QVERIFY(!refused.granted);
    QVERIFY2(refused.retryIn > 0ms && refused.retryIn <= 1000ms,
             qPrintable(QString::number(refused.retryIn.count())));
    // The next token comes when the refusal said, not before.
    QElapsedTimer waited;
    waited.start();
    QVERIFY(QTest::qWaitFor([&] { return ask(m.budget, b).granted; },
                            int(refused.retryIn.count()) + 2000));
    QVERIFY2(waited.elapsed() >= refused.retryIn.count() - 50,
             qPrintable(QString::number(waited.elapsed())));
    QVERIFY(!ask(m.budget, b).granted);
    QVERIFY(m.budget.metricsText().contains(
        "rebound_fleet_budget_permits_total{decided_by=\"redis\",answer=\"granted\"} 4\n"));
}

void TestRedis::twoMembersShareOneLimit()
{
    RedisProcess redis;
    QVERIFY2(redis.start(), qPrintable(redis.error));
    Member a(redis.port);
    Member b(redis.port);
    QTRY_COMPARE_WITH_TIMEOUT(a.budget.mode(), SharedRetryBudget::Mode::Shared, 5000);
    QTRY_COMPARE_WITH_TIMEOUT(b.budget.mode(), SharedRetryBudget::Mode::Shared, 5000);
    // A burst of 4 at 0.1/s shared by both: 4 grants between them, not 4 each.
    const BudgetConfig config = budget(0.1, 4);
    int granted = 0;
    for (int i = 0; i < 5; ++i) {
        granted += ask(a.budget, config).granted ? 1 : 0;
        granted += ask(b.budget, config).granted ? 1 : 0;
    }
    QCOMPARE(granted, 4);
}

void TestRedis::passwordIsSentAndChecked()
{
    RedisProcess redis("s3cret-pw");
    QVERIFY2(redis.start(), qPrintable(redis.error));
    Member wrong(redis.port, "not-it");
    QTRY_VERIFY_WITH_TIMEOUT(wrong.budget.cause().contains(QLatin1String("AUTH refused")), 5000);
    QCOMPARE(wrong.budget.mode(), SharedRetryBudget::Mode::Local);
    QVERIFY(!wrong.budget.cause().contains(QLatin1String("not-it")));
    Member none(redis.port);
    QTRY_COMPARE_WITH_TIMEOUT(none.budget.mode(), SharedRetryBudget::Mode::Local, 5000);
    QVERIFY(ask(none.budget, budget(1, 1)).granted); // locally: 1/2 of the burst, at least 1
    QVERIFY(none.budget.metricsText().contains(
        "rebound_fleet_budget_permits_total{decided_by=\"local\",answer=\"granted\"} 1\n"));
    Member right(redis.port, "s3cret-pw");
    QTRY_COMPARE_WITH_TIMEOUT(right.budget.mode(), SharedRetryBudget::Mode::Shared, 5000);
    QVERIFY(ask(right.budget, budget(1, 1)).granted);
}

void TestRedis::stoppedOrPausedRedisFallsBackAndReturns()
{
    RedisProcess redis;
    QVERIFY2(redis.start(), qPrintable(redis.error));
    Member m(redis.port);
    QTRY_COMPARE_WITH_TIMEOUT(m.budget.mode(), SharedRetryBudget::Mode::Shared, 5000);

    redis.stop();
    QTRY_COMPARE_WITH_TIMEOUT(m.budget.mode(), SharedRetryBudget::Mode::Local, 5000);
    QVERIFY2(m.budget.cause().startsWith(QLatin1String("redis down")),
             qPrintable(m.budget.cause()));
    // Alone: half of a burst of 4 (two members).
    const BudgetConfig config = budget(0.1, 4);
    QVERIFY(ask(m.budget, config).granted);
    QVERIFY(ask(m.budget, config).granted);
    QVERIFY(!ask(m.budget, config).granted);
    QVERIFY2(redis.start(), qPrintable(redis.error)); // same port
    QTRY_COMPARE_WITH_TIMEOUT(m.budget.mode(), SharedRetryBudget::Mode::Shared, 10000);
    QVERIFY(ask(m.budget, config).granted); // a fresh Redis: its own full burst

    // Paused: connected, but nothing answers within the reply timeout.
    redis.pause();
    const RetryPermit p = ask(m.budget, config);
    QCOMPARE(m.budget.mode(), SharedRetryBudget::Mode::Local);
    QCOMPARE(m.budget.cause(), QStringLiteral("redis slow: no answer within 250 ms"));
    QVERIFY(p.granted); // decided locally, from a fresh local bucket
    redis.resume();
    QTRY_COMPARE_WITH_TIMEOUT(m.budget.mode(), SharedRetryBudget::Mode::Shared, 5000);
    QVERIFY(m.budget.metricsText().contains("rebound_fleet_budget_redis_timeouts_total 1\n"));
}

QTEST_GUILESS_MAIN(TestRedis)
#include "tst_redis.moc"
