// Task API wire formats: task/attempt/page decoding, RFC 3339 times, traceparent, and the
// timer queue the orchestrator schedules retries on.
#include "ScriptedRandom.h"
#include "remote/TaskApi.h"
#include "remote/TaskJson.h"
#include "remote/TraceContext.h"
#include "support/Rfc3339.h"
#include "time/ManualClock.h"
#include "time/TimerQueue.h"

#include <QJsonDocument>
#include <QTest>

using namespace rebound;
using namespace std::chrono_literals;

class TestWire final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void taskRoundTrip();
    void hugeNumbersAreErrorsNotUndefinedBehaviour();
    void pageErrors_data();
    void pageErrors();
    void rfc3339_data();
    void rfc3339();
    void traceparent_data();
    void traceparent();
    void idempotencyKeysAreStable();
    void timerQueueOrderAndReschedule();
    void timerQueueManyEntries();
};

void TestWire::taskRoundTrip()
{
    RemoteTask t;
    t.id = QStringLiteral("tsk-1");
    t.type = QStringLiteral("=odd, \"type\"\n");
    t.state = RemoteState::Failed;
    t.attempt = 2;
    t.version = 9;
    t.createdAtMs = 1'767'225'600'123;
    t.updatedAtMs = 1'767'225'601'456;
    t.labels = {{QStringLiteral("team"), QStringLiteral("a")}};
    RemoteAttempt a;
    a.number = 2;
    a.startedAtMs = 1'767'225'601'000;
    a.endedAtMs = 1'767'225'601'456;
    a.durationMs = 456;
    a.outcome = AttemptOutcome::Timeout;
    a.httpStatus = 504;
    a.retryAfterMs = 3000;
    ProblemDetails p;
    p.type = QStringLiteral("urn:x");
    p.status = 504;
    a.problem = p;
    a.traceId = QStringLiteral("0af7651916cd43dd8448eb211c80319c");
    a.reason = AttemptReason::Auto;
    t.lastAttempt = a;
    const QByteArray json = QJsonDocument(TaskJson::toJson(t)).toJson();
    const auto back = TaskJson::decodeTask(json);
    QVERIFY2(back.ok(), qPrintable(back.ok() ? QString() : back.error().message));
    QCOMPARE(*back, t);
}

void TestWire::pageErrors_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("message");
    const QByteArray okTask =
        R"({"id":"a","type":"t","state":"failed","attempt":1,"version":2,"createdAt":"2026-01-01T00:00:00.000Z","updatedAt":"2026-01-01T00:00:00.000Z"})";
    QTest::newRow("not json") << QByteArray("<html>") << "$: not valid JSON";
    QTest::newRow("array") << QByteArray("[]") << "$: must be a JSON object";
    QTest::newRow("tasks missing")
        << QByteArray(R"({"cursor":"c","more":false})") << "$.tasks: must be an array";
    QTest::newRow("cursor missing") << QByteArray(R"({"tasks":[],"more":false})")
                                    << "$.cursor: must be a string of 1–200 characters";
    QTest::newRow("more wrong type") << QByteArray(R"({"tasks":[],"cursor":"c","more":"no"})")
                                     << "$.more: must be true or false";
    QTest::newRow("task not object") << QByteArray(R"({"tasks":[1],"cursor":"c","more":false})")
                                     << "$.tasks[0]: must be an object";
    QByteArray v = okTask;
    v.replace("\"version\":2", "\"version\":\"2\"");
    QTest::newRow("version string")
        << QByteArray("{\"tasks\":[" + okTask + "," + v + "],\"cursor\":\"c\",\"more\":false}")
        << "$.tasks[1].version: must be an integer ≥ 0";
    QByteArray s = okTask;
    s.replace("\"failed\"", "\"exploded\"");
    QTest::newRow("bad state") << QByteArray("{\"tasks\":[" + s +
                                             "],\"cursor\":\"c\",\"more\":false}")
                               << "$.tasks[0].state: must be one of";
    QByteArray d = okTask;
    d.replace("2026-01-01T00:00:00.000Z\",\"updatedAt", "yesterday\",\"updatedAt");
    QTest::newRow("bad time") << QByteArray("{\"tasks\":[" + d +
                                            "],\"cursor\":\"c\",\"more\":false}")
                              << "$.tasks[0].createdAt: must be an RFC 3339 time";
    QByteArray l = okTask;
    l.chop(1);
    l +=
        R"(,"lastAttempt":{"number":0,"startedAt":"2026-01-01T00:00:00Z","outcome":"failed","reason":"auto"}})";
    QTest::newRow("attempt number 0")
        << QByteArray("{\"tasks\":[" + l + "],\"cursor\":\"c\",\"more\":false}")
        << "$.tasks[0].lastAttempt.number: must be an integer ≥ 1";
    QByteArray t = okTask;
    t.replace("\"type\":\"t\"", "\"type\":\"" + QByteArray(201, 'x') + "\"");
    QTest::newRow("type too long")
        << QByteArray("{\"tasks\":[" + t + "],\"cursor\":\"c\",\"more\":false}")
        << "$.tasks[0].type: must be a string of 1–200 characters";
    // Absurd depth: refused by the parser at its nesting limit, not by running out of stack.
    QTest::newRow("nested 100 000 deep")
        << QByteArray("{\"tasks\":" + QByteArray(100'000, '[') + QByteArray(100'000, ']') +
                      ",\"cursor\":\"c\",\"more\":false}")
        << "$: not valid JSON at offset";
    QTest::newRow("nested 500 deep in a label")
        << QByteArray("{\"tasks\":[" + okTask.chopped(1) +
                      ",\"labels\":{\"a\":" + QByteArray(500, '[') + QByteArray(500, ']') +
                      "}}],\"cursor\":\"c\",\"more\":false}")
        << "$.tasks[0].labels.a: must be a string";
}

void TestWire::hugeNumbersAreErrorsNotUndefinedBehaviour()
{
    // Regression: fuzz_taskjson found that an attempt number beyond int overflowed a cast.
    const auto r = TaskJson::decodeAttempts(
        R"({"attempts":[{"number":144444469939,"startedAt":"2026-01-01T00:00:00Z","outcome":"failed","reason":"auto"}]})");
    QVERIFY(!r.ok());
    QCOMPARE(r.error().message,
             QStringLiteral("$.attempts[0].number: must be an integer ≤ 2147483647"));
    const auto v = TaskJson::decodeTask(
        R"({"id":"a","type":"t","state":"failed","attempt":1,"version":1e300,"createdAt":"2026-01-01T00:00:00Z","updatedAt":"2026-01-01T00:00:00Z"})");
    QVERIFY(!v.ok());
    QVERIFY(v.error().message.startsWith(QStringLiteral("$.version: must be an integer ≤")));
}

void TestWire::pageErrors()
{
    QFETCH(QByteArray, body);
    QFETCH(QString, message);
    const auto r = TaskJson::decodePage(body);
    QVERIFY(!r.ok());
    QCOMPARE(r.error().code, QStringLiteral("malformed-body"));
    QVERIFY2(r.error().message.startsWith(message), qPrintable(r.error().message));
}

void TestWire::rfc3339_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<qint64>("ms"); // -1: invalid
    QTest::newRow("utc ms") << "2026-01-01T00:00:00.123Z" << qint64(1'767'225'600'123);
    QTest::newRow("no fraction") << "2026-01-01T00:00:00Z" << qint64(1'767'225'600'000);
    QTest::newRow("micro") << "2026-01-01T00:00:00.123456Z" << qint64(1'767'225'600'123);
    QTest::newRow("offset") << "2026-01-01T02:00:00.000+02:00" << qint64(1'767'225'600'000);
    QTest::newRow("lowercase") << "2026-01-01t00:00:00z" << qint64(1'767'225'600'000);
    QTest::newRow("no zone") << "2026-01-01T00:00:00" << qint64(-1);
    QTest::newRow("date only") << "2026-01-01" << qint64(-1);
    QTest::newRow("month 13") << "2026-13-01T00:00:00Z" << qint64(-1);
    QTest::newRow("garbage") << "soon" << qint64(-1);
}

void TestWire::rfc3339()
{
    QFETCH(QString, text);
    QFETCH(qint64, ms);
    const auto r = Rfc3339::parse(text);
    if (ms < 0) {
        QVERIFY(!r);
    } else {
        QVERIFY(r);
        QCOMPARE(*r, ms);
    }
    QCOMPARE(Rfc3339::format(1'767'225'600'123), QStringLiteral("2026-01-01T00:00:00.123Z"));
    // The fast UTF-8 writer agrees with QDateTime over ~60 years at odd offsets.
    for (std::int64_t t = -86'400'000LL * 365 * 10; t < 86'400'000LL * 365 * 50;
         t += 86'400'000LL * 7 + 3'723'457) {
        QByteArray fast;
        Rfc3339::append(fast, t);
        QCOMPARE(QString::fromLatin1(fast), Rfc3339::format(t));
    }
}

void TestWire::traceparent_data()
{
    QTest::addColumn<QByteArray>("header");
    QTest::addColumn<bool>("valid");
    QTest::newRow("w3c example") << QByteArray(
                                        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
                                 << true;
    QTest::newRow("not sampled") << QByteArray(
                                        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00")
                                 << true;
    QTest::newRow("future version with extra")
        << QByteArray("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what") << true;
    QTest::newRow("version ff") << QByteArray(
                                       "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
                                << false;
    QTest::newRow("zero trace") << QByteArray(
                                       "00-00000000000000000000000000000000-00f067aa0ba902b7-01")
                                << false;
    QTest::newRow("zero parent") << QByteArray(
                                        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01")
                                 << false;
    QTest::newRow("uppercase") << QByteArray(
                                      "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01")
                               << false;
    QTest::newRow("v00 trailing")
        << QByteArray("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x") << false;
    QTest::newRow("short") << QByteArray("00-4bf92f35-00f067aa0ba902b7-01") << false;
}

void TestWire::traceparent()
{
    QFETCH(QByteArray, header);
    QFETCH(bool, valid);
    QCOMPARE(TraceContext::parse(header).has_value(), valid);
    ScriptedRandom rng({0.0});
    const TraceContext t = TraceContext::generate(rng); // all zeros would be invalid: fixed up
    QVERIFY(TraceContext::parse(t.header()).has_value());
    QCOMPARE(t.header().size(), 55);
}

void TestWire::idempotencyKeysAreStable()
{
    const QByteArray k = TaskApi::idempotencyKey(QStringLiteral("http://h:1"), QStringLiteral("t"),
                                                 3, QStringLiteral("attempt"));
    QCOMPARE(k, TaskApi::idempotencyKey(QStringLiteral("http://h:1"), QStringLiteral("t"), 3,
                                        QStringLiteral("attempt")));
    QVERIFY(k != TaskApi::idempotencyKey(QStringLiteral("http://h:1"), QStringLiteral("t"), 4,
                                         QStringLiteral("attempt")));
    QVERIFY(k != TaskApi::idempotencyKey(QStringLiteral("http://h:1"), QStringLiteral("t"), 3,
                                         QStringLiteral("cancel")));
    QVERIFY(k != TaskApi::idempotencyKey(QStringLiteral("http://h:2"), QStringLiteral("t"), 3,
                                         QStringLiteral("attempt")));
    QVERIFY(k.startsWith("rb-"));
    QCOMPARE(TaskApi::attemptBody(QStringLiteral("auto")), QByteArray(R"({"reason":"auto"})"));
}

void TestWire::timerQueueOrderAndReschedule()
{
    ManualClock clock;
    TimerQueue q(clock, clock);
    QStringList fired;
    q.setHandler(
        [&](const QString &k) { fired << k + u'@' + QString::number(toMs(clock.steadyNow())); });
    q.schedule(QStringLiteral("c"), steadyFromMs(300));
    q.schedule(QStringLiteral("a"), steadyFromMs(100));
    q.schedule(QStringLiteral("b"), steadyFromMs(200));
    q.schedule(QStringLiteral("a"), steadyFromMs(250)); // rescheduled later
    QVERIFY(q.cancel(QStringLiteral("b")));
    QCOMPARE(q.size(), 2);
    QCOMPARE(*q.dueOf(QStringLiteral("a")), steadyFromMs(250));
    clock.advance(1s);
    QCOMPARE(fired, (QStringList{QStringLiteral("a@250"), QStringLiteral("c@300")}));
    QCOMPARE(q.size(), 0);
    QCOMPARE(clock.pendingTimers(), std::size_t(0)); // one timer at most, and none left
}

void TestWire::timerQueueManyEntries()
{
    ManualClock clock;
    TimerQueue q(clock, clock);
    int fired = 0;
    std::int64_t last = -1;
    bool ordered = true;
    q.setHandler([&](const QString &) {
        ++fired;
        ordered = ordered && toMs(clock.steadyNow()) >= last;
        last = toMs(clock.steadyNow());
    });
    for (int i = 0; i < 100'000; ++i)
        q.schedule(QString::number(i), steadyFromMs((i * 7919) % 100'000));
    for (int i = 0; i < 100'000; i += 2)
        q.cancel(QString::number(i));
    QVERIFY(clock.pendingTimers() <= 1);
    clock.advance(200s);
    QCOMPARE(fired, 50'000);
    QVERIFY(ordered);
}

QTEST_GUILESS_MAIN(TestWire)
#include "tst_wire.moc"
