// SharedRetryBudget on a fake Redis and a manual clock: the exact commands it sends, how it
// reads the script's answers, and its fallback to 1/N of the budget when Redis is down or slow.
#include "FakeRedisWire.h"
#include "fleet/SharedRetryBudget.h"
#include "time/ManualClock.h"

#include <QSignalSpy>
#include <QTest>

using namespace rebound;
using namespace std::chrono_literals;
using T = RedisReply::Type;

class TestSharedBudget : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void loadsTheScriptAndSharesTheRate();
    void reloadsALostScript();
    void redisDownTakesOneNth();
    void slowRedisFallsBackAndComesBack();
    void linkDropAndReturn();
    void noRateNeedsNoRedis();
};

namespace {

const GuardKey kKey{QStringLiteral("http://svc"), QStringLiteral("email")};

BudgetConfig budget(double rate, double burst)
{
    BudgetConfig b;
    b.ratePerSecond = rate;
    b.burst = burst;
    return b;
}

struct Asked
{
    int answers = 0;
    RetryPermit last;
    RetryPermits::Answer answer()
    {
        return [this](RetryPermit p) {
            ++answers;
            last = p;
        };
    }
};

void loaded(FakeRedisWire &wire)
{
    auto load = wire.take();
    QCOMPARE(load.args, (QList<QByteArray>{"SCRIPT", "LOAD", SharedRetryBudget::script()}));
    load.done(FakeRedisWire::text(T::String, SharedRetryBudget::scriptSha()));
}

} // namespace

void TestSharedBudget::loadsTheScriptAndSharesTheRate()
{
    ManualClock clock;
    FakeRedisWire wire;
    wire.up = true;
    SharedRetryBudget b(wire, clock, clock, {}, [] { return 3; });
    loaded(wire);
    QCOMPARE(b.mode(), SharedRetryBudget::Mode::Shared);

    Asked asked;
    b.acquire(kKey, budget(5, 2), asked.answer()); // 200 ms apart, one more at once
    auto eval = wire.take();
    QCOMPARE(eval.args, (QList<QByteArray>{"EVALSHA", SharedRetryBudget::scriptSha(), "1",
                                           "rebound/budget/http://svc/email", "200000", "200000"}));
    eval.done(FakeRedisWire::integers(1, 0));
    QCOMPARE(asked.answers, 1);
    QVERIFY(asked.last.granted);

    b.acquire(kKey, budget(5, 2), asked.answer());
    wire.take().done(FakeRedisWire::integers(0, 150'001)); // µs, rounded up to whole ms
    QCOMPARE(asked.answers, 2);
    QVERIFY(!asked.last.granted);
    QCOMPARE(asked.last.retryIn, 151ms);
    QVERIFY(b.metricsText().contains(
        "rebound_fleet_budget_permits_total{decided_by=\"redis\",answer=\"refused\"} 1\n"));
    QVERIFY(b.metricsText().contains("rebound_fleet_budget_shared 1\n"));
    // The reply timeout was cancelled: nothing is answered twice.
    clock.advance(10s);
    QCOMPARE(asked.answers, 2);
}

void TestSharedBudget::reloadsALostScript()
{
    ManualClock clock;
    FakeRedisWire wire;
    wire.up = true;
    SharedRetryBudget b(wire, clock, clock, {}, [] { return 1; });
    loaded(wire);
    Asked asked;
    b.acquire(kKey, budget(1, 1), asked.answer());
    wire.take().done(FakeRedisWire::text(T::Error, "NOSCRIPT No matching script."));
    QCOMPARE(wire.commands.size(), size_t(2));
    QCOMPARE(wire.take().args.mid(0, 2), (QList<QByteArray>{"SCRIPT", "LOAD"}));
    auto again = wire.take();
    QCOMPARE(again.args.value(0), QByteArray("EVALSHA"));
    QCOMPARE(again.args.value(5), QByteArray("0")); // burst 1: no tolerance
    again.done(FakeRedisWire::integers(1, 0));
    QCOMPARE(asked.answers, 1);
    QVERIFY(asked.last.granted);
    QCOMPARE(b.mode(), SharedRetryBudget::Mode::Shared);
}

void TestSharedBudget::redisDownTakesOneNth()
{
    // 3 members, 3 retries/s with a burst of 6: alone, this member takes 1/s with a burst of 2.
    ManualClock clock;
    FakeRedisWire wire;
    SharedRetryBudget b(wire, clock, clock, {}, [] { return 3; });
    QCOMPARE(b.mode(), SharedRetryBudget::Mode::Local);
    QCOMPARE(b.cause(), QStringLiteral("connecting to redis"));
    Asked asked;
    for (int i = 0; i < 3; ++i)
        b.acquire(kKey, budget(3, 6), asked.answer());
    QCOMPARE(asked.answers, 0); // answered on the event loop, not inside acquire()
    clock.advance(0ms);
    QCOMPARE(asked.answers, 3);
    QVERIFY(!asked.last.granted);
    QCOMPARE(asked.last.retryIn, 1000ms);
    QVERIFY(wire.commands.empty());
    clock.advance(999ms);
    b.acquire(kKey, budget(3, 6), asked.answer());
    clock.advance(0ms);
    QVERIFY(!asked.last.granted);
    QCOMPARE(asked.last.retryIn, 1ms);
    clock.advance(1ms);
    b.acquire(kKey, budget(3, 6), asked.answer());
    clock.advance(0ms);
    QVERIFY(asked.last.granted);
    const QByteArray m = b.metricsText();
    QVERIFY(m.contains("rebound_fleet_budget_shared 0\n"));
    QVERIFY(m.contains("rebound_fleet_budget_divisor 3\n"));
    QVERIFY(m.contains(
        "rebound_fleet_budget_permits_total{decided_by=\"local\",answer=\"granted\"} 3\n"));
    QVERIFY(m.contains(
        "rebound_fleet_budget_permits_total{decided_by=\"local\",answer=\"refused\"} 2\n"));
}

void TestSharedBudget::slowRedisFallsBackAndComesBack()
{
    ManualClock clock;
    FakeRedisWire wire;
    wire.up = true;
    SharedRetryBudget b(wire, clock, clock, {}, [] { return 2; });
    loaded(wire);
    QSignalSpy modes(&b, &SharedRetryBudget::modeChanged);
    Asked asked;
    b.acquire(kKey, budget(2, 2), asked.answer());
    auto slow = wire.take();
    clock.advance(249ms);
    QCOMPARE(asked.answers, 0);
    clock.advance(1ms); // the reply timeout: answered from 1/2 of the budget
    QCOMPARE(asked.answers, 1);
    QVERIFY(asked.last.granted);
    QCOMPARE(b.mode(), SharedRetryBudget::Mode::Local);
    QCOMPARE(b.cause(), QStringLiteral("redis slow: no answer within 250 ms"));
    QCOMPARE(modes.size(), 1);
    slow.done(FakeRedisWire::integers(0, 5)); // too late: ignored
    QCOMPARE(asked.answers, 1);
    // Local now: burst 1, 1/s (the bucket started full at the timeout; its token is gone).
    b.acquire(kKey, budget(2, 2), asked.answer());
    clock.advance(0ms);
    QVERIFY(!asked.last.granted);
    QCOMPARE(asked.last.retryIn, 1000ms);
    // The probe: a script load a second after falling back.
    clock.advance(999ms);
    QVERIFY(wire.commands.empty());
    clock.advance(1ms);
    loaded(wire);
    QCOMPARE(b.mode(), SharedRetryBudget::Mode::Shared);
    QCOMPARE(b.cause(), QString());
    QCOMPARE(modes.size(), 2);
    QVERIFY(b.metricsText().contains("rebound_fleet_budget_redis_timeouts_total 1\n"));
}

void TestSharedBudget::linkDropAndReturn()
{
    ManualClock clock;
    FakeRedisWire wire;
    wire.up = true;
    SharedRetryBudget b(wire, clock, clock, {}, [] { return 1; });
    loaded(wire);
    Asked asked;
    b.acquire(kKey, budget(1, 1), asked.answer());
    wire.setUp(false, QStringLiteral("Connection refused"));
    QCOMPARE(b.mode(), SharedRetryBudget::Mode::Local);
    QCOMPARE(b.cause(), QStringLiteral("redis down: Connection refused"));
    // The command in flight fails with the link: answered locally, once.
    wire.take().done(Error{QStringLiteral("redis-down"), QStringLiteral("dropped")});
    clock.advance(0ms);
    QCOMPARE(asked.answers, 1);
    QVERIFY(asked.last.granted);
    clock.advance(5s); // no probes while the link is down: the wire reconnects by itself
    QVERIFY(wire.commands.empty());
    wire.setUp(true);
    loaded(wire);
    QCOMPARE(b.mode(), SharedRetryBudget::Mode::Shared);
}

void TestSharedBudget::noRateNeedsNoRedis()
{
    ManualClock clock;
    FakeRedisWire wire;
    wire.up = true;
    SharedRetryBudget b(wire, clock, clock, {}, [] { return 1; });
    loaded(wire);
    Asked asked;
    b.acquire(kKey, budget(0, 1), asked.answer());
    clock.advance(0ms);
    QCOMPARE(asked.answers, 1);
    QVERIFY(asked.last.granted);
    QVERIFY(wire.commands.empty());
}

QTEST_GUILESS_MAIN(TestSharedBudget)
#include "tst_sharedbudget.moc"
