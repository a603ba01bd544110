// The engine's one assembly: what `rebound` and `reboundctl watch` both start from.
#include "FakeTransport.h"
#include "ScriptedRandom.h"
#include "engine/Engine.h"
#include "time/ManualClock.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace rebound;

class TestEngine final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void purgesAtStartAndHourly();
    void policyFileIsCreatedOnlyWhenAsked();
    void badRetentionIsRefused();

private:
    AttemptFacts attempt(const ManualClock &clock, const QString &id, std::int64_t ageMs)
    {
        AttemptFacts f;
        f.endpoint = QStringLiteral("http://fake.test");
        f.taskId = id;
        f.taskType = QStringLiteral("t");
        f.attempt.number = 1;
        f.attempt.startedAtMs = clock.wallNowMs() - ageMs;
        f.attempt.endedAtMs = f.attempt.startedAtMs + 10;
        f.attempt.outcome = AttemptOutcome::Succeeded;
        return f;
    }
};

void TestEngine::purgesAtStartAndHourly()
{
    QTemporaryDir dir;
    ManualClock clock;
    ScriptedRandom rng({0.5});
    // A database written earlier: one attempt two days old, one an hour old.
    {
        auto h = std::move(HistoryStore::open(dir.filePath(QStringLiteral("h.sqlite")))).value();
        h->queueAttempt(attempt(clock, QStringLiteral("old"), 2 * 86'400'000LL));
        h->queueAttempt(attempt(clock, QStringLiteral("recent"), 3'600'000));
        QVERIFY(h->flush());
    }
    auto e = Engine::open({{}, {}, dir.filePath(QStringLiteral("h.sqlite")), 1}, clock, clock, rng,
                          [](const EndpointConfig &c) {
                              return std::make_unique<FakeTransport>(c.key());
                          });
    QVERIFY2(e, qPrintable(e ? QString() : e.error().message));
    QCOMPARE((*e)->history->attemptCount(), 2); // nothing before the event loop turns
    clock.advance(Duration(0));
    QCOMPARE((*e)->history->attemptCount(), 1); // the two-day-old one, at start
    // The hour-old attempt turns 24 h old after 23 h; the hourly purge after that takes it.
    clock.advance(Duration(23LL * 3'600'000));
    QCOMPARE((*e)->history->attemptCount(), 1);
    clock.advance(Duration(3'600'000));
    QCOMPARE((*e)->history->attemptCount(), 0);
}

void TestEngine::policyFileIsCreatedOnlyWhenAsked()
{
    QTemporaryDir dir;
    ManualClock clock;
    ScriptedRandom rng({0.5});
    const QString path = dir.filePath(QStringLiteral("sub/policies.json"));
    auto missing = Engine::open({path, {}, dir.filePath(QStringLiteral("a.sqlite")), 0}, clock,
                                clock, rng);
    QVERIFY(!missing);
    QCOMPARE(missing.error().message, path + QStringLiteral(": no such file"));
    QVERIFY(!QFile::exists(path));
    const QByteArray policy = R"({"version":1,"policies":[{"name":"p"}]})";
    auto created = Engine::open({path, policy, dir.filePath(QStringLiteral("b.sqlite")), 0}, clock,
                                clock, rng);
    QVERIFY(created);
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(f.readAll(), policy);
    QCOMPARE((*created)->policies.current()->policies.size(), 1);
}

void TestEngine::badRetentionIsRefused()
{
    QTemporaryDir dir;
    ManualClock clock;
    ScriptedRandom rng({0.5});
    auto e = Engine::open({{}, {}, dir.filePath(QStringLiteral("c.sqlite")), -1}, clock, clock,
                          rng);
    QVERIFY(!e);
    QCOMPARE(e.error().message, QStringLiteral("retentionDays: must be whole days in 0..36500"));
}

QTEST_GUILESS_MAIN(TestEngine)
#include "tst_engine.moc"
