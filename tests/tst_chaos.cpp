// The chaos suite. A console (orchestrator + history, in this process) works against the real
// rebound-taskd while the service misbehaves: faults switched on in the service, resets at the
// socket level, the service killed and restarted, the console's wall clock jumping. Every
// scenario is bounded in tasks and time and ends with a recovery, after which the invariants
// must hold:
//   - no crash, and no hang: every task reaches an end and the endpoint is connected again
//     (the longest event-loop stall is reported in the summary, a figure rather than a timed
//     assertion);
//   - backoff as the policy says: no automatic retry starts before its delay, none beyond
//     maxAttempts, exhausted tasks are cancelled with exactly maxAttempts attempts;
//   - the breaker as the policy says: it opens only with enough calls at or above a threshold;
//   - for every task, the attempts in the console's history equal the attempts on the server
//     (same numbers, reasons and outcomes; none lost, none doubled).
// The HTTP fault rows run with delta polling only (the faults spoil list answers); the "push:"
// rows watch over /v1/watch while its stream breaks, and push must be live again at the end.
#include "OrchestratorFixture.h"
#include "TaskdProcess.h"
#include "support/Rfc3339.h"
#include "time/SeededRandom.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace rebound;

namespace {

constexpr int kMaxAttempts = 4;
constexpr int kInitialMs = 100;
constexpr int kCapMs = 400;
constexpr int kMinCalls = 10;
constexpr double kFailureThreshold = 50;
constexpr int kHalfOpenCalls = 2;
constexpr int kFaultWindowMs = 4000;

// Four in ten attempts fail with a retryable 503 on the service's side, whatever the API does.
const QByteArray kProfile =
    R"({"default":{"unavailable":0.4,"retryAfterProbability":0,"latencyMinMs":20,"latencyMaxMs":150}})";

enum class Kind
{
    Faults,      ///< switch the service's fault injection on for the window
    KillRestart, ///< SIGKILL the service and start it again on the same port and journal
    WallJump     ///< the console's wall clock jumps an hour forward, then two back
};

std::int64_t expectedDelayMs(int failedAttempt)
{
    std::int64_t d = kInitialMs;
    for (int i = 1; i < failedAttempt && d < kCapMs; ++i)
        d *= 2;
    return std::min<std::int64_t>(d, kCapMs);
}

// Measures how late a 20 ms timer fires: the longest time the event loop did not answer.
class StallWatch
{
public:
    StallWatch()
    {
        m_timer.setInterval(20);
        QObject::connect(&m_timer, &QTimer::timeout, [this] {
            if (!m_paused)
                m_maxMs = std::max(m_maxMs, m_since.elapsed() - 20);
            m_since.restart();
        });
        m_since.start();
        m_timer.start();
    }
    /// The test's own blocking calls (starting a process) are not the console's stalls.
    void pause() { m_paused = true; }
    void resume()
    {
        m_since.restart();
        m_paused = false;
    }
    qint64 maxMs() const { return m_maxMs; }

private:
    QTimer m_timer;
    QElapsedTimer m_since;
    qint64 m_maxMs = 0;
    bool m_paused = false;
};

bool terminal(const QJsonObject &task)
{
    const QString s = task.value(QStringLiteral("state")).toString();
    return s == QLatin1String("succeeded") || s == QLatin1String("cancelled");
}

} // namespace

class TestChaos final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void scenario_data();
    void scenario();
    void cleanupTestCase();

private:
    QStringList m_report;
};

void TestChaos::scenario_data()
{
    QTest::addColumn<Kind>("kind");
    QTest::addColumn<QJsonObject>("faults");
    QTest::addColumn<bool>("push");
    const auto faults = [](const char *name, QJsonObject f, bool push = false) {
        QTest::newRow(name) << Kind::Faults << f << push;
    };
    faults("503 + Retry-After on half the calls",
           {{QStringLiteral("failRate"), 0.5},
            {QStringLiteral("failStatus"), 503},
            {QStringLiteral("retryAfter"), QStringLiteral("1")}});
    faults("slow answers past the request timeout", {{QStringLiteral("slowMs"), 2500}});
    faults("body dripping one byte per 200 ms", {{QStringLiteral("dripMs"), 200}});
    faults("connection reset before and mid-body",
           {{QStringLiteral("resetRate"), 0.3}, {QStringLiteral("resetMidBodyRate"), 0.4}});
    faults("garbage JSON", {{QStringLiteral("malformedRate"), 1.0},
                            {QStringLiteral("malformedKind"), QStringLiteral("garbage")}});
    faults("truncated JSON", {{QStringLiteral("malformedRate"), 1.0},
                              {QStringLiteral("malformedKind"), QStringLiteral("truncated")}});
    faults("200 with an HTML body", {{QStringLiteral("malformedRate"), 1.0},
                                     {QStringLiteral("malformedKind"), QStringLiteral("html")}});
    faults("body larger than the cap",
           {{QStringLiteral("malformedRate"), 1.0},
            {QStringLiteral("malformedKind"), QStringLiteral("oversized")}});
    QTest::newRow("service killed and restarted 4 times")
        << Kind::KillRestart << QJsonObject{} << false;
    QTest::newRow("wall clock jumps +1 h, then -2 h") << Kind::WallJump << QJsonObject{} << false;
    faults("push: a third of the change messages cut the connection",
           {{QStringLiteral("watchDropRate"), 0.3}}, true);
    faults("push: the stream falls silent (no bookmarks)", {{QStringLiteral("watchSilent"), true}},
           true);
    faults("push: stream cut, then upgrades and actions refused (503) or reset",
           {{QStringLiteral("watchDropRate"), 0.5},
            {QStringLiteral("failRate"), 0.5},
            {QStringLiteral("resetRate"), 0.3}},
           true);
    QTest::newRow("push: service killed and restarted 4 times")
        << Kind::KillRestart << QJsonObject{} << true;
}

void TestChaos::scenario()
{
    QFETCH(Kind, kind);
    QFETCH(QJsonObject, faults);
    QFETCH(bool, push);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    // Bookmarks every 300 ms: a silent stream is noticed in 2 x 300 + 1000 ms.
    const QStringList journal = {QStringLiteral("--state"),
                                 dir.filePath(QStringLiteral("taskd.jsonl")),
                                 QStringLiteral("--watch-bookmark-ms"), QStringLiteral("300")};
    auto taskd = std::make_unique<TaskdProcess>(journal);
    QVERIFY2(taskd->start(0, kProfile), qPrintable(taskd->error));
    const quint16 port = taskd->port;

    OrchestratorFixture c(
        taskd->url,
        fixedBackoffPolicy(
            kMaxAttempts, kInitialMs, kCapMs,
            QStringLiteral(
                R"(,"breaker":{"minimumNumberOfCalls":%1,"failureRateThreshold":%2,"waitDurationInOpenMs":1000,"permittedCallsInHalfOpen":%3})")
                .arg(kMinCalls)
                .arg(kFailureThreshold)
                .arg(kHalfOpenCalls)
                .toUtf8()),
        dir.path(), QStringLiteral("chaos"));
    c.endpoint.maxBodyBytes = 4 * 1024 * 1024;
    c.endpoint.push = push;
    QSignalSpy transitions(c.orchestrator.get(), &Orchestrator::breakerTransition);
    StallWatch stalls;
    c.start();

    QStringList ids;
    for (int i = 0; i < 16; ++i)
        ids << taskd->createTask(i % 2 ? QStringLiteral("chaos.a") : QStringLiteral("chaos.b"));
    // Retries under way before the trouble starts.
    const auto retried = [&] {
        double n = 0;
        for (const char *type : {"chaos.a", "chaos.b"})
            n += std::max(0.0,
                          taskd->metric(QByteArray("rebound_taskd_attempts_started_total{type=\"") +
                                        type + "\",reason=\"auto\"}"));
        return n;
    };
    QVERIFY(QTest::qWaitFor([&] { return retried() > 0; }, 10'000));
    for (int i = 0; i < 8; ++i) // fresh work as the trouble starts
        ids << taskd->createTask(QStringLiteral("chaos.a"));
    QVERIFY(!ids.contains(QString()));

    SeededRandom rng(qHash(QByteArray(QTest::currentDataTag())));
    double injected = 0; // answers the service spoiled on purpose
    int kills = 0;
    switch (kind) {
    case Kind::Faults:
        taskd->setFaults(faults);
        QTest::qWait(kFaultWindowMs);
        taskd->setFaults(QJsonObject{});
        injected = taskd->metricSum("rebound_taskd_faults_injected_total{") +
                   taskd->metric("rebound_taskd_watch_closes_total{cause=\"dropped\"}");
        if (push) // a silent stream is seen only by the console
            injected += c.orchestrator->poller(c.endpoint.key())->pushFailures();
        QVERIFY(injected > 0); // the console did run into the fault
        break;
    case Kind::KillRestart:
        for (int cycle = 0; cycle < 4; ++cycle) {
            QTest::qWait(300 + static_cast<int>(rng.nextUnit() * 700));
            stalls.pause();
            taskd.reset(); // SIGKILL: no goodbye, in-flight requests die with it
            ++kills;
            QTest::qWait(200);
            taskd = std::make_unique<TaskdProcess>(journal);
            const bool started = taskd->start(port, kProfile);
            stalls.resume();
            QVERIFY2(started, qPrintable(taskd->error));
            ids << taskd->createTask(QStringLiteral("chaos.b"));
        }
        break;
    case Kind::WallJump:
        c.clock.jumpWall(3'600'000);
        QTest::qWait(kFaultWindowMs / 2);
        c.clock.jumpWall(-7'200'000);
        QTest::qWait(kFaultWindowMs / 2);
        break;
    }

    // Recovery: every task reaches an end on the server.
    QDeadlineTimer deadline(90'000);
    for (const QString &id : std::as_const(ids)) {
        const bool ended = QTest::qWaitFor([&] { return terminal(taskd->task(id)); },
                                           int(deadline.remainingTime()));
        QVERIFY2(ended,
                 qPrintable(QStringLiteral("%1 never finished: %2")
                                .arg(id, QString::fromUtf8(QJsonDocument(taskd->task(id))
                                                               .toJson(QJsonDocument::Compact)))));
    }
    QTRY_COMPARE_WITH_TIMEOUT(c.orchestrator->poller(c.endpoint.key())->status().state,
                              EndpointStatus::State::Connected, 30'000);
    if (push) {
        // Fell back at least once, and is back on push (after its backoff).
        QVERIFY(c.orchestrator->poller(c.endpoint.key())->pushFailures() > 0);
        QTRY_VERIFY_WITH_TIMEOUT(c.orchestrator->poller(c.endpoint.key())->status().push, 60'000);
    }

    // The history catches up with the server.
    QHash<QString, QJsonArray> server;
    for (const QString &id : std::as_const(ids))
        server.insert(id, taskd->attempts(id));
    const auto historyMatches = [&] {
        for (const QString &id : std::as_const(ids)) {
            const auto rows = c.history->attempts(c.endpoint.key(), id);
            const QJsonArray s = server.value(id);
            if (rows.size() != s.size())
                return false;
            for (const auto &r : rows) {
                const QJsonObject a =
                    s[std::clamp<qsizetype>(r.attempt - 1, 0, s.size() - 1)].toObject();
                if (r.outcome != a.value(QStringLiteral("outcome")).toString())
                    return false;
            }
        }
        return true;
    };
    QTRY_VERIFY_WITH_TIMEOUT(historyMatches() || deadline.hasExpired(), 60'000);

    int attempts = 0, lost = 0, doubled = 0, differing = 0, overLimit = 0, early = 0,
        badExhausted = 0, retries = 0;
    for (const QString &id : std::as_const(ids)) {
        const QJsonArray s = server.value(id);
        const auto rows = c.history->attempts(c.endpoint.key(), id);
        attempts += static_cast<int>(s.size());
        overLimit += s.size() > kMaxAttempts ? 1 : 0;
        QHash<int, int> seen;
        for (const auto &r : rows)
            ++seen[r.attempt];
        for (int n = 1; n <= s.size(); ++n) {
            const QJsonObject a = s[n - 1].toObject();
            if (!seen.contains(n)) {
                ++lost;
                continue;
            }
            doubled += seen.value(n) - 1;
            const auto row =
                std::find_if(rows.begin(), rows.end(),
                             [n](const HistoryStore::Row &r) { return r.attempt == n; });
            if (row->outcome != a.value(QStringLiteral("outcome")).toString() ||
                row->reason != a.value(QStringLiteral("reason")).toString()) {
                ++differing;
                qWarning("%s attempt %d: history %s/%s, server %s/%s", qPrintable(id), n,
                         qPrintable(row->reason), qPrintable(row->outcome),
                         qPrintable(a.value(QStringLiteral("reason")).toString()),
                         qPrintable(a.value(QStringLiteral("outcome")).toString()));
            }
            if (n > 1 && a.value(QStringLiteral("reason")).toString() == QLatin1String("auto")) {
                ++retries;
                const QJsonObject prev = s[n - 2].toObject();
                const auto ended = Rfc3339::parse(prev.value(QStringLiteral("endedAt")).toString());
                const auto started =
                    Rfc3339::parse(a.value(QStringLiteral("startedAt")).toString());
                // Millisecond timestamps: allow the rounding of the two.
                if (!ended || !started || *started - *ended < expectedDelayMs(n - 1) - 2)
                    ++early;
            }
        }
        for (auto it = seen.begin(); it != seen.end(); ++it)
            doubled += it.key() > s.size() ? it.value() : 0;
        const QJsonObject t = taskd->task(id);
        if (t.value(QStringLiteral("state")).toString() == QLatin1String("cancelled") &&
            (t.value(QStringLiteral("cancelReason")).toString() != QLatin1String("exhausted") ||
             s.size() != kMaxAttempts))
            ++badExhausted;
    }
    int opens = 0, badOpens = 0;
    for (const QList<QVariant> &args : std::as_const(transitions)) {
        const auto t = args.at(2).value<BreakerTransition>();
        if (t.to != BreakerHealth::Open)
            continue;
        ++opens;
        const int minCalls = t.from == BreakerHealth::HalfOpen ? kHalfOpenCalls : kMinCalls;
        if (t.metrics.calls < minCalls ||
            (t.metrics.failureRate < kFailureThreshold && t.metrics.slowCallRate < 75))
            ++badOpens;
    }
    const QString line =
        QStringLiteral("%1: %2 tasks, %3 attempts (%4 automatic retries), lost %5, doubled %6, "
                       "differing %7, over the limit %8, early retries %9, breaker opened %10 "
                       "(%11 against the policy), longest event-loop stall %12 ms; %13")
            .arg(QString::fromLatin1(QTest::currentDataTag()))
            .arg(ids.size())
            .arg(attempts)
            .arg(retries)
            .arg(lost)
            .arg(doubled)
            .arg(differing)
            .arg(overLimit)
            .arg(early)
            .arg(opens)
            .arg(badOpens)
            .arg(stalls.maxMs())
            .arg(kind == Kind::Faults        ? QStringLiteral("%1 answers spoiled").arg(injected)
                 : kind == Kind::KillRestart ? QStringLiteral("%1 kills").arg(kills)
                                             : QStringLiteral("wall clock moved 3 h"));
    qInfo("chaos %s", qPrintable(line));
    m_report << line;
    QCOMPARE(lost, 0);
    QCOMPARE(doubled, 0);
    QCOMPARE(differing, 0);
    QCOMPARE(overLimit, 0);
    QCOMPARE(early, 0);
    QCOMPARE(badExhausted, 0);
    QCOMPARE(badOpens, 0);
    QVERIFY(retries > 0); // the scenario did exercise retries
}

void TestChaos::cleanupTestCase()
{
    qInfo("chaos summary:\n%s", qPrintable(m_report.join(u'\n')));
}

QTEST_GUILESS_MAIN(TestChaos)
#include "tst_chaos.moc"
