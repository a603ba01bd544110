// Metrics: the exposition text exactly (PrometheusText), the engine's counters fed by the real
// engine on a manual clock (EngineMetrics, with the label cap), and the HTTP endpoint
// (MetricsServer) on a loopback port. promtool's verdict on a live scrape is in tst_conformance.
#include "ManualEngine.h"
#include "engine/EngineMetrics.h"
#include "engine/Orchestrator.h"
#include "telemetry/MetricsServer.h"
#include "telemetry/PrometheusText.h"

#include <QTcpSocket>
#include <QTest>
#include <QThread>

using namespace rebound;

namespace {

const QString kEndpoint = QStringLiteral("http://metrics.test");

// Every failure is retried after 10 s (the clock never gets there); no guard interferes.
const QByteArray kPolicy =
    R"({"version":1,"policies":[{"name":"final","match":{"type":"final.*"},)"
    R"("backoff":{"maxAttempts":1}},)"
    R"({"name":"p","backoff":{"initialDelayMs":10000,"maxDelayMs":10000,)"
    R"("maxAttempts":3,"jitter":"none"},"breaker":{"windowSize":100000,"minimumNumberOfCalls":100000},)"
    R"("health":{"unhealthyScore":100},"budget":{"budgetPercent":0,"maxTokens":0,"ratePerSecond":0}}]})";

RemoteTask failed(const QString &id, const QString &type, int status)
{
    RemoteTask t;
    t.id = id;
    t.type = type;
    t.state = RemoteState::Failed;
    t.attempt = 1;
    t.version = 1;
    t.createdAtMs = 1'767'225'600'000;
    t.updatedAtMs = t.createdAtMs + 20;
    RemoteAttempt a;
    a.number = 1;
    a.reason = AttemptReason::Initial;
    a.startedAtMs = t.createdAtMs + 10;
    a.endedAtMs = t.updatedAtMs;
    a.durationMs = 10;
    a.outcome = AttemptOutcome::Failed;
    a.httpStatus = status;
    t.lastAttempt = a;
    return t;
}

/// One HTTP exchange with the server: the raw answer.
QByteArray exchange(quint16 port, const QByteArray &request)
{
    QTcpSocket s;
    s.connectToHost(QStringLiteral("127.0.0.1"), port);
    if (!s.waitForConnected(5000))
        return {};
    s.write(request);
    QByteArray out;
    while (s.state() == QAbstractSocket::ConnectedState && s.waitForReadyRead(5000))
        out += s.readAll();
    return out + s.readAll();
}

} // namespace

class TestMetrics final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void textFormat();
    void engineCountsWhatItDecides();
    void typesPastTheCapAreOther();
    void parseListen_data();
    void parseListen();
    void serverAnswers_data();
    void serverAnswers();
};

void TestMetrics::textFormat()
{
    PrometheusText p;
    p.family("x_total", "counter", "An example.");
    p.sample("x_total", {{QStringLiteral("a"), QStringLiteral("q\"b\\c\nd")}}, 3);
    p.sample("x_total", {}, 0.25);
    p.family("h_seconds", "histogram", "Times.");
    p.histogram("h_seconds", {{QStringLiteral("k"), QStringLiteral("v")}}, {0.1, 1}, {2, 3}, 4,
                5.5);
    QCOMPARE(p.text(), QByteArray("# HELP x_total An example.\n"
                                  "# TYPE x_total counter\n"
                                  "x_total{a=\"q\\\"b\\\\c\\nd\"} 3\n"
                                  "x_total 0.25\n"
                                  "# HELP h_seconds Times.\n"
                                  "# TYPE h_seconds histogram\n"
                                  "h_seconds_bucket{k=\"v\",le=\"0.1\"} 2\n"
                                  "h_seconds_bucket{k=\"v\",le=\"1\"} 3\n"
                                  "h_seconds_bucket{k=\"v\",le=\"+Inf\"} 4\n"
                                  "h_seconds_sum{k=\"v\"} 5.5\n"
                                  "h_seconds_count{k=\"v\"} 4\n"));
    QCOMPARE(PrometheusText::number(qInf()), QByteArray("+Inf"));
}

void TestMetrics::engineCountsWhatItDecides()
{
    auto r = std::make_unique<ManualEngine>(kPolicy);
    // Two retryable failures (503), one that is not (400), one of a type with one attempt.
    r->orchestrator().ingest(kEndpoint,
                             {failed(QStringLiteral("a"), QStringLiteral("sms.send"), 503),
                              failed(QStringLiteral("b"), QStringLiteral("sms.send"), 503),
                              failed(QStringLiteral("c"), QStringLiteral("sms.send"), 400),
                              failed(QStringLiteral("d"), QStringLiteral("final.x"), 503)});
    r->clock.advance(Duration(0)); // the engine's batch, due now
    QCOMPARE(r->history().pendingWrites(), 0);
    r->orchestrator().metrics().pollAnswered(kEndpoint, Duration(30));
    const QByteArray text = r->orchestrator().metrics().render(r->orchestrator());
    const auto has = [&text](const QByteArray &line) { return text.split('\n').contains(line); };
    QVERIFY2(has(R"(rebound_decisions_total{endpoint="http://metrics.test",type="sms.send",)"
                 R"(outcome="retry",cause="backoff"} 2)"),
             text.constData());
    QVERIFY(has(R"(rebound_decisions_total{endpoint="http://metrics.test",type="sms.send",)"
                R"(outcome="stop",cause="not_retryable"} 1)"));
    QVERIFY(has(R"(rebound_decisions_total{endpoint="http://metrics.test",type="final.x",)"
                R"(outcome="stop",cause="exhausted"} 1)"));
    QVERIFY(has(R"(rebound_attempts_ended_total{endpoint="http://metrics.test",type="sms.send",)"
                R"(outcome="failed"} 3)"));
    QVERIFY(has(R"(rebound_lifecycle_transitions_total{from="failed",to="retry_scheduled"} 2)"));
    QVERIFY(has("rebound_scheduled_retries 2"));
    QVERIFY(has("rebound_watched_tasks 4"));
    QVERIFY(has("rebound_history_queue_writes 0"));
    QVERIFY(has(R"(rebound_breaker_tier{endpoint="http://metrics.test",type="sms.send",)"
                R"(tier="healthy"} 1)"));
    QVERIFY(has("rebound_metrics_label_overflow_total 0"));
    // The two stops' cancels are written down; with no endpoint added they stay unanswered.
    QVERIFY2(has("rebound_outbox_entries 2"), text.constData());
    const QByteArray poll = "rebound_poll_seconds";
    const QByteArray labels = "{endpoint=\"http://metrics.test\"";
    QVERIFY(has(poll + "_bucket" + labels + ",le=\"0.025\"} 0"));
    QVERIFY(has(poll + "_bucket" + labels + ",le=\"0.05\"} 1"));
    QVERIFY(has(poll + "_count" + labels + "} 1"));
    // Each family is declared once.
    QCOMPARE(text.count("# TYPE rebound_decisions_total "), 1);
}

void TestMetrics::typesPastTheCapAreOther()
{
    auto r = std::make_unique<ManualEngine>(kPolicy);
    r->orchestrator().metrics().setMaxTypes(2);
    QList<RemoteTask> tasks;
    for (int i = 0; i < 5; ++i)
        tasks << failed(QStringLiteral("t%1").arg(i), QStringLiteral("type.%1").arg(i), 503);
    r->orchestrator().ingest(kEndpoint, tasks);
    r->clock.advance(Duration(0)); // the engine's batch, due now
    QCOMPARE(r->history().pendingWrites(), 0);
    const QByteArray text = r->orchestrator().metrics().render(r->orchestrator());
    QVERIFY(text.contains(R"(type="type.0")") && text.contains(R"(type="type.1")"));
    QVERIFY2(!text.contains(R"(type="type.2")"), text.constData());
    QVERIFY(text.contains(R"(rebound_decisions_total{endpoint="http://metrics.test",type="other",)"
                          R"(outcome="retry",cause="backoff"} 3)"));
    QVERIFY(!text.contains("rebound_metrics_label_overflow_total 0\n"));
}

void TestMetrics::parseListen_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("host"); // empty: refused
    QTest::addColumn<int>("port");
    QTest::newRow("port only") << QStringLiteral("9464") << QStringLiteral("127.0.0.1") << 9464;
    QTest::newRow("colon port") << QStringLiteral(":0") << QStringLiteral("127.0.0.1") << 0;
    QTest::newRow("host") << QStringLiteral("0.0.0.0:9464") << QStringLiteral("0.0.0.0") << 9464;
    QTest::newRow("ipv6") << QStringLiteral("[::1]:9464") << QStringLiteral("::1") << 9464;
    QTest::newRow("port too big") << QStringLiteral("70000") << QString() << 0;
    QTest::newRow("not an address") << QStringLiteral("example.org:9464") << QString() << 0;
    QTest::newRow("no port") << QStringLiteral("127.0.0.1:") << QString() << 0;
}

void TestMetrics::parseListen()
{
    QFETCH(QString, text);
    QFETCH(QString, host);
    QFETCH(int, port);
    const auto at = MetricsServer::parseListen(text);
    QCOMPARE(at.ok(), !host.isEmpty());
    if (!at) {
        QVERIFY2(at.error().message.startsWith(text), qPrintable(at.error().message));
        return;
    }
    QCOMPARE(at->first.toString(), host);
    QCOMPARE(int(at->second), port);
}

void TestMetrics::serverAnswers_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<QByteArray>("status");
    QTest::newRow("metrics") << QByteArray("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
                             << QByteArray("HTTP/1.1 200 OK");
    QTest::newRow("query") << QByteArray("GET /metrics?x=1 HTTP/1.1\r\n\r\n")
                           << QByteArray("HTTP/1.1 200 OK");
    QTest::newRow("other path") << QByteArray("GET / HTTP/1.1\r\n\r\n")
                                << QByteArray("HTTP/1.1 404 Not Found");
    QTest::newRow("post") << QByteArray("POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n")
                          << QByteArray("HTTP/1.1 405 Method Not Allowed");
    QTest::newRow("garbage") << QByteArray("hello\r\n\r\n")
                             << QByteArray("HTTP/1.1 400 Bad Request");
    QTest::newRow("oversized") << QByteArray("GET /metrics HTTP/1.1\r\nX: ") + QByteArray(9000, 'a')
                               << QByteArray("HTTP/1.1 431 Request Header Fields Too Large");
}

void TestMetrics::serverAnswers()
{
    QFETCH(QByteArray, request);
    QFETCH(QByteArray, status);
    MetricsServer server([] { return QByteArray("up 1\n"); });
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    QVERIFY(server.port() > 0);
    QByteArray answer;
    // The server answers on this thread's event loop: exchange from a helper thread.
    std::unique_ptr<QThread> client(QThread::create(
        [&answer, &request, port = server.port()] { answer = exchange(port, request); }));
    client->start();
    QTRY_VERIFY_WITH_TIMEOUT(client->isFinished(), 10'000);
    QVERIFY2(answer.startsWith(status), answer.constData());
    if (status.contains("200")) {
        QVERIFY(answer.contains("Content-Type: text/plain; version=0.0.4"));
        QVERIFY(answer.endsWith("\r\n\r\nup 1\n"));
    }
}

QTEST_GUILESS_MAIN(TestMetrics)
#include "tst_metrics.moc"
