#include "history/HistoryStore.h"
#include "history/SqliteDb.h"
#include "support/Csv.h"
#include "support/Rfc3339.h"

#include <QBuffer>
#include <QDir>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

using namespace rebound;

class TestHistoryStore final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void schemaAndReopen();
    void refusesNewerSchemaAndGarbage();
    void migratesVersion1();
    void migratesVersion2Outbox();
    void attemptsUpsertKeepsDecision();
    void outboxAndSchedules();
    void csvCells_data();
    void csvCells();
    void csvExportRoundTripsHostileValues();
    void csvExportFilters();
    void csvFailedAttemptCarriesWhatFollowed();
    void exportCancel();

private:
    AttemptFacts facts(const QString &id, const QString &type, int n, std::int64_t startMs,
                       AttemptOutcome o = AttemptOutcome::Failed)
    {
        AttemptFacts f;
        f.endpoint = QStringLiteral("http://127.0.0.1:1");
        f.taskId = id;
        f.taskType = type;
        f.attempt.number = n;
        f.attempt.startedAtMs = startMs;
        f.attempt.outcome = o;
        f.attempt.reason = n == 1 ? AttemptReason::Initial : AttemptReason::Auto;
        if (o != AttemptOutcome::Running) {
            f.attempt.endedAtMs = startMs + 250;
            f.attempt.durationMs = 250;
        }
        f.attempt.httpStatus = o == AttemptOutcome::Succeeded ? 200 : 503;
        f.attempt.traceId = QStringLiteral("0af7651916cd43dd8448eb211c80319c");
        return f;
    }
    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_path;
    /// A database as an older Rebound left it: its schema version and these statements.
    bool writeOldDatabase(int version, const QStringList &statements);
};

void TestHistoryStore::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    m_path = m_dir->filePath(QStringLiteral("sub/history.sqlite"));
}

void TestHistoryStore::schemaAndReopen()
{
    {
        auto h = HistoryStore::open(m_path);
        QVERIFY2(h.ok(), qPrintable(h.ok() ? QString() : h.error().message));
        (*h)->queueAttempt(facts(QStringLiteral("t1"), QStringLiteral("a"), 1, 1000));
        QVERIFY((*h)->flush().ok());
        QCOMPARE((*h)->pendingWrites(), 0);
    }
    auto again = HistoryStore::open(m_path);
    QVERIFY(again.ok());
    QCOMPARE((*again)->attemptCount(), 1);
    QCOMPARE((*again)->integrityCheck(), QStringLiteral("ok"));
    auto db = SqliteDb::open(m_path, 1000);
    QVERIFY(db.ok());
    auto mode = (*db)->prepare(QStringLiteral("PRAGMA journal_mode"), QString());
    QVERIFY(mode.ok() && mode->step().value_or(false));
    QCOMPARE(mode->text(0), QStringLiteral("wal"));
    auto version = (*db)->prepare(QStringLiteral("SELECT version FROM schema_version"), QString());
    QVERIFY(version.ok() && version->step().value_or(false));
    QCOMPARE(version->int64(0), std::int64_t(HistoryStore::kSchemaVersion));
}

void TestHistoryStore::refusesNewerSchemaAndGarbage()
{
    {
        auto h = HistoryStore::open(m_path);
        QVERIFY(h.ok());
    }
    {
        auto db = SqliteDb::open(m_path, 1000);
        QVERIFY(db.ok());
        QVERIFY((*db)->exec(QStringLiteral("UPDATE schema_version SET version = 99"), QString()));
    }
    auto newer = HistoryStore::open(m_path);
    QVERIFY(!newer.ok());
    QVERIFY(newer.error().message.contains(QStringLiteral("newer")));
    const QString garbage = m_dir->filePath(QStringLiteral("garbage.sqlite"));
    QFile f(garbage);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(QByteArray(8192, 'x'));
    f.close();
    auto bad = HistoryStore::open(garbage);
    QVERIFY(!bad.ok());
    QVERIFY(bad.error().message.contains(garbage));
}

bool TestHistoryStore::writeOldDatabase(int version, const QStringList &statements)
{
    if (!QDir().mkpath(QFileInfo(m_path).path()))
        return false;
    auto db = SqliteDb::open(m_path, 1000);
    bool ok = db.ok() &&
              (*db)->exec(QStringLiteral("CREATE TABLE schema_version (version INTEGER NOT NULL)"),
                          QString()) &&
              (*db)->exec(QStringLiteral("INSERT INTO schema_version VALUES (%1)").arg(version),
                          QString());
    for (const QString &statement : statements)
        ok = ok && (*db)->exec(statement, QString());
    return ok;
}

void TestHistoryStore::migratesVersion1()
{
    // A history written by version 1 (no nominal delay): its rows survive, the column is added.
    QVERIFY(writeOldDatabase(
        1,
        {QStringLiteral(
             "CREATE TABLE attempts (endpoint TEXT NOT NULL, task_id TEXT NOT NULL, task_type TEXT "
             "NOT NULL, attempt INTEGER NOT NULL, reason TEXT NOT NULL, started_at INTEGER NOT "
             "NULL, ended_at INTEGER, duration_ms INTEGER, outcome TEXT NOT NULL, http_status "
             "INTEGER, problem_type TEXT, server_retry_after_ms INTEGER, trace_id TEXT, "
             "error_class "
             "TEXT, retry_after_ms INTEGER, delay_ms INTEGER, jitter TEXT, policy TEXT, "
             "policy_version INTEGER, stop_reason TEXT, defer_reason TEXT, PRIMARY KEY (endpoint, "
             "task_id, attempt))"),
         QStringLiteral(
             "INSERT INTO attempts (endpoint, task_id, task_type, attempt, reason, started_at, "
             "outcome, delay_ms, jitter) VALUES ('ep', 'old', 'a', 1, 'initial', 1000, 'failed', "
             "300, 'full')")}));
    auto h = std::move(HistoryStore::open(m_path)).value();
    auto rows = h->attempts(QStringLiteral("ep"), QStringLiteral("old"));
    QCOMPARE(rows.size(), 1);
    QCOMPARE(rows[0].delayMs, std::optional<std::int64_t>(300));
    QVERIFY(!rows[0].nominalDelayMs);
    h->queueAttempt(facts(QStringLiteral("new"), QStringLiteral("a"), 1, 2000));
    AttemptDecision d;
    d.endpoint = facts(QStringLiteral("new"), QStringLiteral("a"), 1, 2000).endpoint;
    d.taskId = QStringLiteral("new");
    d.attempt = 1;
    d.delayMs = 120;
    d.nominalDelayMs = 400;
    h->queueDecision(d);
    QVERIFY(h->flush().ok());
    rows = h->attempts(d.endpoint, QStringLiteral("new"));
    QCOMPARE(rows.size(), 1);
    QCOMPARE(rows[0].nominalDelayMs, std::optional<std::int64_t>(400));
    h.reset();
    auto again = HistoryStore::open(m_path); // already the current version: opens as it is
    QVERIFY(again.ok());
    QCOMPARE((*again)->attemptCount(), 2);
}

void TestHistoryStore::migratesVersion2Outbox()
{
    // An action written down by version 2 (no fence column) is still sent after the upgrade,
    // without a fence.
    QVERIFY(writeOldDatabase(
        2,
        {QStringLiteral(
             "CREATE TABLE outbox (endpoint TEXT NOT NULL, idempotency_key TEXT NOT NULL, task_id "
             "TEXT NOT NULL, action TEXT NOT NULL, body BLOB NOT NULL, if_match INTEGER NOT NULL, "
             "attempt INTEGER NOT NULL, PRIMARY KEY (endpoint, idempotency_key))"),
         QStringLiteral("INSERT INTO outbox VALUES ('ep', 'rb-k', 't1', 'attempt', "
                        "'{}', 4, 1)")}));
    auto h = std::move(HistoryStore::open(m_path)).value();
    const QList<OutboxEntry> out = h->outbox();
    QCOMPARE(out.size(), 1);
    QCOMPARE(out.first().taskId, QStringLiteral("t1"));
    QCOMPARE(out.first().ifMatch, 4);
    QVERIFY(out.first().fence.isEmpty());
}

void TestHistoryStore::attemptsUpsertKeepsDecision()
{
    auto h = std::move(HistoryStore::open(m_path)).value();
    AttemptFacts running =
        facts(QStringLiteral("t1"), QStringLiteral("a"), 1, 1000, AttemptOutcome::Running);
    h->queueAttempt(running);
    QVERIFY(h->flush().ok());
    h->queueAttempt(facts(QStringLiteral("t1"), QStringLiteral("a"), 1, 1000));
    AttemptDecision d;
    d.endpoint = running.endpoint;
    d.taskId = QStringLiteral("t1");
    d.attempt = 1;
    d.delayMs = 400;
    d.nominalDelayMs = 800;
    d.jitter = JitterMode::Full;
    d.policy = QStringLiteral("p");
    d.policyVersion = 3;
    h->queueDecision(d);
    QVERIFY(h->flush().ok());
    // The same attempt seen again (another poll) refreshes the facts, keeps the decision.
    h->queueAttempt(facts(QStringLiteral("t1"), QStringLiteral("a"), 1, 1000));
    QVERIFY(h->flush().ok());
    const auto rows = h->attempts(running.endpoint, QStringLiteral("t1"));
    QCOMPARE(rows.size(), 1);
    QCOMPARE(rows[0].outcome, QStringLiteral("failed"));
    QCOMPARE(rows[0].delayMs, std::optional<std::int64_t>(400));
    QCOMPARE(rows[0].nominalDelayMs, std::optional<std::int64_t>(800));
    QCOMPARE(h->knownAttempts(running.endpoint).value(QStringLiteral("t1")), 1);
}

void TestHistoryStore::outboxAndSchedules()
{
    auto h = std::move(HistoryStore::open(m_path)).value();
    OutboxEntry e{QStringLiteral("ep"),
                  QStringLiteral("t1"),
                  QStringLiteral("attempt"),
                  "rb-key",
                  R"({"reason":"auto"})",
                  7,
                  2,
                  "17:4021"};
    QVERIFY(h->putOutbox(e).ok());
    QCOMPARE(h->outbox().size(), 1);
    QCOMPARE(h->outbox().first().fence, QByteArray("17:4021"));
    QCOMPARE(h->outbox().first().body, e.body);
    QCOMPARE(h->outbox().first().ifMatch, 7);
    QVERIFY(h->removeOutbox(QStringLiteral("ep"), "rb-key").ok());
    QVERIFY(h->outbox().isEmpty());
    h->queueSchedule(ScheduledRetry{QStringLiteral("ep"), QStringLiteral("t1"), 2, 123456,
                                    QStringLiteral("retry")});
    QVERIFY(h->flush().ok());
    QCOMPARE(h->scheduled().size(), 1);
    QCOMPARE(h->scheduled().first().dueWallMs, 123456);
    h->queueUnschedule(QStringLiteral("ep"), QStringLiteral("t1"));
    QVERIFY(h->flush().ok());
    QVERIFY(h->scheduled().isEmpty());
}

void TestHistoryStore::csvCells_data()
{
    QTest::addColumn<QString>("value");
    QTest::addColumn<QByteArray>("cell");
    QTest::newRow("plain") << "sms.send" << QByteArray("sms.send");
    QTest::newRow("comma") << "a,b" << QByteArray("\"a,b\"");
    QTest::newRow("quote") << "say \"hi\"" << QByteArray("\"say \"\"hi\"\"\"");
    QTest::newRow("newline") << "a\nb" << QByteArray("\"a\nb\"");
    QTest::newRow("crlf") << "a\r\nb" << QByteArray("\"a\r\nb\"");
    QTest::newRow("hyperlink") << "=HYPERLINK(\"http://x\",\"y\")"
                               << QByteArray("\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"");
    QTest::newRow("plus") << "+1+2" << QByteArray("\"'+1+2\"");
    QTest::newRow("minus") << "-2+3" << QByteArray("\"'-2+3\"");
    QTest::newRow("at") << "@SUM(A1)" << QByteArray("\"'@SUM(A1)\"");
    QTest::newRow("tab") << "\tx" << QByteArray("\"'\tx\"");
    QTest::newRow("cr") << "\rx" << QByteArray("\"'\rx\"");
    QTest::newRow("lf") << "\nx" << QByteArray("\"'\nx\"");
    QTest::newRow("middle equals is fine") << "a=b" << QByteArray("a=b");
    QTest::newRow("unicode") << "wörk ✓" << QByteArray("wörk ✓");
    QTest::newRow("empty") << "" << QByteArray("");
    QTest::newRow("leading apostrophe") << "'=HY" << QByteArray("\"''=HY\"");
    QTest::newRow("plain apostrophe") << "'quoted'" << QByteArray("\"''quoted'\"");
}

void TestHistoryStore::csvCells()
{
    QFETCH(QString, value);
    QFETCH(QByteArray, cell);
    QCOMPARE(Csv::cell(value), cell);
    QList<QStringList> rows;
    QVERIFY(Csv::parse(Csv::row({value, QStringLiteral("x")}), rows));
    QCOMPARE(rows.size(), 1);
    QCOMPARE(Csv::unneutralise(rows[0][0]), value);
    QVERIFY(rows[0][0].isEmpty() || !Csv::isFormulaTrigger(rows[0][0].front()));
}

void TestHistoryStore::csvExportRoundTripsHostileValues()
{
    auto h = std::move(HistoryStore::open(m_path)).value();
    const QStringList types = {QStringLiteral("=HYPERLINK(\"http://evil\",\"click\")"),
                               QStringLiteral("a,b"),
                               QStringLiteral("say \"hi\"\nnext line"),
                               QStringLiteral("+cmd"),
                               QStringLiteral("-1"),
                               QStringLiteral("@x"),
                               QStringLiteral("\tt"),
                               QStringLiteral("\rr"),
                               QStringLiteral("plain")};
    for (int i = 0; i < types.size(); ++i) {
        AttemptFacts f = facts(QStringLiteral("id-%1").arg(i), types[i], 1, 1'767'225'600'000 + i);
        ProblemDetails p;
        p.type = QStringLiteral("urn:x:problem,with \"quotes\"");
        f.attempt.problem = p;
        f.attempt.retryAfterMs = 2000;
        h->queueAttempt(f);
    }
    h->queueAttempt(facts(QStringLiteral("running"), QStringLiteral("r"), 1, 1'767'225'700'000,
                          AttemptOutcome::Running));
    AttemptDecision d;
    d.endpoint = QStringLiteral("http://127.0.0.1:1");
    d.taskId = QStringLiteral("id-0");
    d.attempt = 1;
    d.errorClass = ErrorClass::Transient;
    d.delayMs = 812;
    d.jitter = JitterMode::Decorrelated;
    d.policy = QStringLiteral("=policy");
    d.policyVersion = 4;
    d.stopReason = StopReason::DeadlineExceeded;
    h->queueDecision(d);
    QVERIFY(h->flush().ok());

    QBuffer out;
    QVERIFY(out.open(QIODevice::WriteOnly));
    const auto rows = h->exportCsv(out, {});
    QVERIFY(rows.ok());
    QCOMPARE(*rows, types.size() + 1);
    QList<QStringList> parsed;
    QVERIFY(Csv::parse(out.data(), parsed));
    QCOMPARE(parsed.size(), types.size() + 2);
    QCOMPARE(parsed[0], HistoryStore::csvHeader());
    QCOMPARE(out.data().left(out.data().indexOf('\n') + 1),
             QByteArray("endpoint,task_id,task_type,attempt,reason,started_at,ended_at,duration_ms,"
                        "outcome,error_class,http_status,problem_type,retry_after_ms,delay_ms,"
                        "jitter,policy,policy_version,stop_reason,trace_id,followed_by\r\n"));
    for (int i = 0; i < types.size(); ++i) {
        const QStringList &r = parsed[i + 1];
        QCOMPARE(r.size(), 20);
        for (const QString &cell : r)
            QVERIFY2(cell.isEmpty() || !Csv::isFormulaTrigger(cell.front()), qPrintable(cell));
        QCOMPARE(Csv::unneutralise(r[2]), types[i]);
        QCOMPARE(r[1], QStringLiteral("id-%1").arg(i));
        QCOMPARE(r[3], QStringLiteral("1"));
        QCOMPARE(r[4], QStringLiteral("initial"));
        QCOMPARE(*Rfc3339::parse(r[5]), 1'767'225'600'000 + i);
        QCOMPARE(r[7], QStringLiteral("250"));
        QCOMPARE(r[8], QStringLiteral("failed"));
        QCOMPARE(r[10], QStringLiteral("503"));
        QCOMPARE(r[11], QStringLiteral("urn:x:problem,with \"quotes\""));
        QCOMPARE(r[12], QStringLiteral("2000"));
        QCOMPARE(r[18], QStringLiteral("0af7651916cd43dd8448eb211c80319c"));
    }
    const QStringList &first = parsed[1];
    QCOMPARE(first[9], QStringLiteral("transient"));
    QCOMPARE(first[13], QStringLiteral("812"));
    QCOMPARE(first[14], QStringLiteral("decorrelated"));
    QCOMPARE(Csv::unneutralise(first[15]), QStringLiteral("=policy"));
    QCOMPARE(first[16], QStringLiteral("4"));
    QCOMPARE(first[17], QStringLiteral("deadline_exceeded"));
    const QStringList &running = parsed.last();
    QCOMPARE(running[8], QStringLiteral("running"));
    QCOMPARE(running[6], QString()); // a running attempt has no end
    QCOMPARE(running[9], QString());
}

void TestHistoryStore::csvExportFilters()
{
    auto h = std::move(HistoryStore::open(m_path)).value();
    for (int i = 0; i < 10; ++i)
        h->queueAttempt(facts(
            QStringLiteral("t%1").arg(i), i % 2 ? QStringLiteral("odd") : QStringLiteral("even"), 1,
            1000 + i * 100, i % 3 == 0 ? AttemptOutcome::Succeeded : AttemptOutcome::Failed));
    QVERIFY(h->flush().ok());
    const auto count = [&](const ExportFilter &f) {
        QBuffer out;
        out.open(QIODevice::WriteOnly);
        return *h->exportCsv(out, f);
    };
    QCOMPARE(count({}), 10);
    ExportFilter f;
    f.taskType = QStringLiteral("odd");
    QCOMPARE(count(f), 5);
    f = {};
    f.outcome = AttemptOutcome::Succeeded;
    QCOMPARE(count(f), 4);
    f = {};
    f.sinceWallMs = 1300;
    f.untilWallMs = 1600;
    QCOMPARE(count(f), 3);
    f = {};
    f.taskIds = {QStringLiteral("t1"), QStringLiteral("t2")};
    QCOMPARE(count(f), 2);
}

void TestHistoryStore::csvFailedAttemptCarriesWhatFollowed()
{
    auto h = std::move(HistoryStore::open(m_path)).value();
    // t1: #1 decided by this console (400 ms, full jitter); #2 never decided here — #3 began
    // elsewhere 1 234 ms after #2 ended; #3 the last, retries stopped. t2: one undecided failure.
    h->queueAttempt(facts(QStringLiteral("t1"), QStringLiteral("x"), 1, 1000));
    h->queueAttempt(facts(QStringLiteral("t1"), QStringLiteral("x"), 2, 2000));
    h->queueAttempt(facts(QStringLiteral("t1"), QStringLiteral("x"), 3, 2000 + 250 + 1234));
    h->queueAttempt(facts(QStringLiteral("t2"), QStringLiteral("x"), 1, 5000));
    // t3: #1 failed, #2 an operator's retry 194 s later (nobody chose that delay). t4: #1
    // deferred while a breaker is open.
    h->queueAttempt(facts(QStringLiteral("t3"), QStringLiteral("x"), 1, 6000));
    AttemptFacts byOperator = facts(QStringLiteral("t3"), QStringLiteral("x"), 2, 200'000);
    byOperator.attempt.reason = AttemptReason::Operator;
    h->queueAttempt(byOperator);
    h->queueAttempt(facts(QStringLiteral("t4"), QStringLiteral("x"), 1, 7000));
    AttemptDecision d;
    d.endpoint = QStringLiteral("http://127.0.0.1:1");
    d.taskId = QStringLiteral("t4");
    d.attempt = 1;
    d.deferReason = QStringLiteral("breaker_open");
    h->queueDecision(d);
    d = {};
    d.endpoint = QStringLiteral("http://127.0.0.1:1");
    d.taskId = QStringLiteral("t1");
    d.attempt = 1;
    d.delayMs = 400;
    d.jitter = JitterMode::Full;
    h->queueDecision(d);
    d = {};
    d.endpoint = QStringLiteral("http://127.0.0.1:1");
    d.taskId = QStringLiteral("t1");
    d.attempt = 3;
    d.stopReason = StopReason::Exhausted;
    h->queueDecision(d);
    QVERIFY(h->flush().ok());
    QBuffer out;
    out.open(QIODevice::WriteOnly);
    QCOMPARE(*h->exportCsv(out, {}), 7);
    const QList<QByteArray> lines = out.data().split('\n');
    const QList<QByteArray> header = lines[0].trimmed().split(',');
    const auto cell = [&](int line, const char *column) {
        return lines[line].trimmed().split(',').value(header.indexOf(column));
    };
    QCOMPARE(cell(1, "delay_ms"), QByteArray("400")); // chosen, with its jitter
    QCOMPARE(cell(1, "jitter"), QByteArray("full"));
    QCOMPARE(cell(2, "delay_ms"), QByteArray("1234")); // used: its end to the next start
    QCOMPARE(cell(2, "jitter"), QByteArray());
    QCOMPARE(cell(3, "delay_ms"), QByteArray()); // the stop followed it
    QCOMPARE(cell(3, "stop_reason"), QByteArray("exhausted"));
    QCOMPARE(cell(4, "delay_ms"), QByteArray()); // nothing followed yet
    QCOMPARE(cell(5, "delay_ms"), QByteArray()); // an operator's retry: no chosen delay
    QCOMPARE(cell(6, "delay_ms"), QByteArray());
    // What followed each failed attempt, in words: the retry, an operator's, the stop, the
    // deferral and its cause; nothing for an attempt nothing followed yet, or one that
    // succeeded.
    const QList<QByteArray> followed = {"retry",    "retry", "stopped: exhausted", "",
                                        "operator", "deferred: breaker_open", ""};
    for (int line = 1; line <= 7; ++line)
        QCOMPARE(cell(line, "followed_by"), followed[line - 1]);
}

void TestHistoryStore::exportCancel()
{
    auto h = std::move(HistoryStore::open(m_path)).value();
    for (int i = 0; i < 20'000; ++i)
        h->queueAttempt(facts(QStringLiteral("t%1").arg(i), QStringLiteral("bulk"), 1, 1000 + i));
    QVERIFY(h->flush().ok());
    std::atomic<bool> cancel{false};
    std::int64_t lastDone = 0, lastTotal = 0;
    QBuffer out;
    out.open(QIODevice::WriteOnly);
    const auto r = h->exportCsv(
        out, {},
        [&](std::int64_t done, std::int64_t total) {
            lastDone = done;
            lastTotal = total;
            cancel = true;
        },
        &cancel);
    QVERIFY(!r.ok());
    QCOMPARE(r.error().code, QStringLiteral("export-cancelled"));
    QCOMPARE(lastTotal, 20'000);
    QVERIFY(lastDone > 0 && lastDone < 20'000);
}

QTEST_GUILESS_MAIN(TestHistoryStore)
#include "tst_historystore.moc"
