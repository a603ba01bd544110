// The headless orchestrator (reboundctl watch) is killed with SIGKILL at random moments and
// restarted on the same database. Afterwards the history must match the server exactly.
#include "TaskdProcess.h"
#include "history/HistoryStore.h"
#include "time/SeededRandom.h"

#include <QJsonArray>
#include <QTemporaryDir>
#include <QTest>

using namespace rebound;

class TestCrashSafety final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void killAndResume();
};

void TestCrashSafety::killAndResume()
{
    TaskdProcess taskd;
    QVERIFY(taskd.start(
        0,
        R"({"default":{"unavailable":0.5,"timeout":0.1,"retryAfterProbability":0,"latencyMinMs":10,"latencyMaxMs":60}})"));
    QTemporaryDir dir;
    const QString policies = dir.filePath(QStringLiteral("policies.json"));
    {
        QFile f(policies);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(
            R"({"version":1,"policies":[{"name":"p","backoff":{"initialDelayMs":200,"multiplier":2,"maxDelayMs":1500,"maxAttempts":5,"jitter":"full"},
                   "breaker":{"windowSize":1000,"minimumNumberOfCalls":1000}}]})");
    }
    const QString db = dir.filePath(QStringLiteral("history.sqlite"));
    QStringList ids;
    for (int i = 0; i < 40; ++i)
        ids << taskd.createTask(QStringLiteral("crash.test"));

    const auto watch = [&](int ms) {
        auto p = std::make_unique<QProcess>();
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("REBOUND_TOKEN"), QStringLiteral("test-token-123"));
        p->setProcessEnvironment(env);
        p->setStandardOutputFile(dir.filePath(QStringLiteral("watch.log")), QIODevice::Append);
        p->start(QStringLiteral(REBOUNDCTL_PATH),
                 {QStringLiteral("watch"), QStringLiteral("--url"), taskd.url,
                  QStringLiteral("--policies"), policies, QStringLiteral("--db"), db,
                  QStringLiteral("--duration"), QString::number(ms / 1000.0)});
        return p;
    };

    SeededRandom rng(2026);
    int kills = 0, sawScheduled = 0;
    // 50 kills (under a minute here); REBOUND_KILL_CYCLES=N for longer or shorter runs.
    const int cycles = qEnvironmentVariableIntValue("REBOUND_KILL_CYCLES") > 0
                           ? qEnvironmentVariableIntValue("REBOUND_KILL_CYCLES")
                           : 50;
    for (int cycle = 0; cycle < cycles; ++cycle) {
        for (int i = 0; i < 3;
             ++i) // fresh failures every cycle, so every kill interrupts real work
            ids << taskd.createTask(QStringLiteral("crash.test"));
        auto p = watch(60'000);
        QVERIFY(p->waitForStarted(10'000));
        QTest::qWait(300 + static_cast<int>(rng.nextUnit() * 1200));
        p->kill(); // SIGKILL: no flush, no goodbye
        p->waitForFinished(5000);
        ++kills;
        auto h = HistoryStore::open(db);
        QVERIFY(h.ok());
        sawScheduled += (*h)->scheduled().isEmpty() ? 0 : 1;
    }
    // A last, clean run long enough for every task to finish.
    auto last = watch(300'000);
    QVERIFY(last->waitForStarted(10'000));
    QDeadlineTimer deadline(120'000); // generous: CI machines run other suites alongside
    for (const QString &id : ids) {
        const bool ended = QTest::qWaitFor(
            [&] {
                return QStringList({QStringLiteral("succeeded"), QStringLiteral("cancelled")})
                    .contains(taskd.task(id).value(QStringLiteral("state")).toString());
            },
            int(deadline.remainingTime()));
        if (!ended) {
            QFile log(dir.filePath(QStringLiteral("watch.log")));
            log.open(QIODevice::ReadOnly);
            const QList<QByteArray> lines = log.readAll().split('\n');
            for (const QByteArray &l : lines)
                if (l.contains(id.toUtf8()))
                    qWarning("%s", l.constData());
            QFAIL(qPrintable(
                QStringLiteral("%1 never finished: %2")
                    .arg(id, QString::fromUtf8(
                                 QJsonDocument(taskd.task(id)).toJson(QJsonDocument::Compact)))));
        }
    }
    QTest::qWait(1500); // let the last changes reach the history
    last->terminate();
    last->waitForFinished(10'000);

    auto h = HistoryStore::open(db);
    QVERIFY(h.ok());
    QCOMPARE((*h)->integrityCheck(), QStringLiteral("ok"));
    const QString endpoint = QUrl(taskd.url).adjusted(QUrl::StripTrailingSlash).toString();
    int lost = 0, doubled = 0, overLimit = 0, total = 0;
    for (const QString &id : ids) {
        const QJsonArray server = taskd.attempts(id);
        const auto rows = (*h)->attempts(endpoint, id);
        total += static_cast<int>(server.size());
        overLimit += server.size() > 5 ? 1 : 0;
        QList<int> numbers;
        for (const auto &r : rows)
            numbers << r.attempt;
        for (int n = 1; n <= server.size(); ++n)
            lost += numbers.contains(n) ? 0 : 1;
        doubled +=
            static_cast<int>(numbers.size() - QSet<int>(numbers.begin(), numbers.end()).size());
        doubled += static_cast<int>(std::count_if(numbers.begin(), numbers.end(),
                                                  [&](int n) { return n > server.size(); }));
    }
    qInfo("crash safety: %d kills, %d times a scheduled retry was on disk at the kill, %lld "
          "tasks, %d attempts, integrity %s, %d lost, %d doubled, %d over the limit",
          kills, sawScheduled, static_cast<long long>(ids.size()), total,
          qPrintable((*h)->integrityCheck()), lost, doubled, overLimit);
    QCOMPARE(lost, 0);
    QCOMPARE(doubled, 0);
    QCOMPARE(overLimit, 0);
    QVERIFY(sawScheduled > 0); // the kills did interrupt pending retries, which were resumed
    QVERIFY(total > static_cast<int>(ids.size())); // there were retries at all
}

QTEST_GUILESS_MAIN(TestCrashSafety)
#include "tst_crashsafety.moc"
