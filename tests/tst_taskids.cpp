// Task ids are any 1–200 characters the contract allows (integration test). Each row is an id
// the reference service never makes by itself, sent through every route:
// - to a bare socket that records request lines (not rebound-taskd): each path segment is
//   percent-encoded exactly once, as written out by hand in the table (RFC 3986);
// - to rebound-taskd creating tasks with those ids: the engine retries their failures, the
//   history, the CSV and the log keep the id byte-exactly, and reboundctl acts on it;
// - the endpoint identity: spellings of one URL that differ only in form are one endpoint;
// - and, as the same bare socket sees it, the /v1/watch upgrade carries a traceparent like
//   every other request.
#include "OrchestratorFixture.h"
#include "ProcessRun.h"
#include "RequestRecorder.h"
#include "TaskdProcess.h"
#include "engine/Orchestrator.h"
#include "history/HistoryStore.h"
#include "remote/EndpointClient.h"
#include "remote/TaskApi.h"

#include <QBuffer>
#include <QJsonArray>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

using namespace rebound;

namespace {

void addIdRows()
{
    QTest::addColumn<QString>("id");
    QTest::addColumn<QByteArray>("encoded"); // written out by hand, not by the code under test
    QTest::newRow("colon") << QStringLiteral("job:42") << QByteArray("job%3A42");
    QTest::newRow("slash") << QStringLiteral("ns/name") << QByteArray("ns%2Fname");
    QTest::newRow("space") << QStringLiteral("a b") << QByteArray("a%20b");
    QTest::newRow("percent") << QStringLiteral("100%") << QByteArray("100%25");
    QTest::newRow("encoded-looking") << QStringLiteral("%41") << QByteArray("%2541");
    QTest::newRow("non-ascii") << QStringLiteral("é") << QByteArray("%C3%A9");
    QTest::newRow("delimiters") << QStringLiteral("?#[]@!$&'()*+,;=")
                                << QByteArray("%3F%23%5B%5D%40%21%24%26%27%28%29%2A%2B%2C%3B%3D");
    QTest::newRow("200 characters") << QString(199, u'x') + u'~'
                                    << QByteArray(199, 'x') + '~';
}

const QByteArray kNoGuards =
    R"(,"breaker":{"windowSize":100000,"minimumNumberOfCalls":100000},"health":{"unhealthyScore":100},)"
    R"("budget":{"budgetPercent":0,"maxTokens":0,"ratePerSecond":0})";

} // namespace

class TestTaskIds final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void everyRouteEncodesOnce_data() { addIdRows(); }
    void everyRouteEncodesOnce();
    void engineRetriesAnyId_data() { addIdRows(); }
    void engineRetriesAnyId();
    void endpointIdentity_data();
    void endpointIdentity();
    void watchUpgradeCarriesTraceparent();
};

void TestTaskIds::everyRouteEncodesOnce()
{
    QFETCH(QString, id);
    QFETCH(QByteArray, encoded);
    RequestRecorder recorder;
    SystemClock clock;
    SeededRandom rng(7);
    EndpointConfig config;
    // A base URL with a path of its own, ending in '/': joined without a double slash.
    config.baseUrl = QUrl(recorder.url() + QStringLiteral("/api/"));
    EndpointClient client(config, clock, rng);
    const QList<ApiRequest> requests = {
        TaskApi::getTask(id),
        TaskApi::getAttempts(id),
        TaskApi::startAttempt(id, 3, "k1", TaskApi::attemptBody(QStringLiteral("operator"))),
        TaskApi::cancel(id, 3, "k2", TaskApi::cancelBody(QStringLiteral("operator"))),
        TaskApi::abortAttempt(id, 2, 3, "k3", TaskApi::abortBody(QStringLiteral("operator"))),
    };
    int answered = 0;
    for (const ApiRequest &r : requests)
        client.send(r, [&answered](const ApiResponse &) { ++answered; });
    QTRY_COMPARE_WITH_TIMEOUT(answered, int(requests.size()), 10'000);
    const QByteArray path = "/api/v1/tasks/" + encoded;
    const QList<QByteArray> expected = {
        "GET " + path + " HTTP/1.1",
        "GET " + path + "/attempts HTTP/1.1",
        "POST " + path + "/attempts HTTP/1.1",
        "POST " + path + "/cancel HTTP/1.1",
        "POST " + path + "/attempts/2/abort HTTP/1.1",
    };
    QList<QByteArray> seen = recorder.lines;
    std::sort(seen.begin(), seen.end());
    QList<QByteArray> want = expected;
    std::sort(want.begin(), want.end());
    QCOMPARE(seen, want);
}

void TestTaskIds::engineRetriesAnyId()
{
    QFETCH(QString, id);
    QFETCH(QByteArray, encoded);
    // Every attempt of ids.flaky fails at once with a retryable 503: the engine must retry it
    // until the policy's 3 attempts are used, then stop and cancel it (reason "exhausted").
    TaskdProcess taskd;
    QVERIFY2(taskd.start(0, R"({"types":{"ids.flaky":{"unavailable":1.0,"retryAfterProbability":0,)"
                            R"("latencyMinMs":5,"latencyMaxMs":10}}})"),
             qPrintable(taskd.error));
    const TaskdProcess::Reply created = taskd.post(
        QStringLiteral("/v1/tasks"),
        QJsonDocument(QJsonObject{{QStringLiteral("type"), QStringLiteral("ids.flaky")},
                                  {QStringLiteral("id"), id}})
            .toJson());
    QCOMPARE(created.status, 201);
    QCOMPARE(created.json().value(QStringLiteral("id")).toString(), id);
    QCOMPARE(created.headers.value("location"), "/v1/tasks/" + encoded);
    // The same id again is refused; the service keeps the first task.
    QCOMPARE(taskd.post(QStringLiteral("/v1/tasks"),
                        QJsonDocument(QJsonObject{{QStringLiteral("type"), QStringLiteral("x")},
                                                  {QStringLiteral("id"), id}})
                            .toJson())
                 .status,
             409);

    QTemporaryDir dir;
    OrchestratorFixture c(taskd.url, fixedBackoffPolicy(3, 50, 50, kNoGuards), dir.path(),
                          QStringLiteral("ids"));
    c.start(100, 300);
    const QString path = QStringLiteral("/v1/tasks/") + QString::fromLatin1(encoded);
    QTRY_COMPARE_WITH_TIMEOUT(
        taskd.get(path).json().value(QStringLiteral("cancelReason")).toString(),
        QStringLiteral("exhausted"), 30'000);
    const QJsonArray attempts =
        taskd.get(path + QStringLiteral("/attempts")).json().value(QStringLiteral("attempts")).toArray();
    QCOMPARE(attempts.size(), 3);
    QCOMPARE(attempts[1].toObject().value(QStringLiteral("reason")).toString(),
             QStringLiteral("auto"));
    QCOMPARE(attempts[2].toObject().value(QStringLiteral("reason")).toString(),
             QStringLiteral("auto"));

    // The history holds the id as it is, with every attempt.
    const QString endpoint = c.endpoint.key();
    QTRY_COMPARE_WITH_TIMEOUT(c.history->attempts(endpoint, id).size(), 3, 10'000);
    const TrackedTask *t = c.orchestrator->task(endpoint, id);
    QVERIFY(t);
    QCOMPARE(t->remote.id, id);

    // The CSV carries it quoted as RFC 4180 says, byte for byte.
    QBuffer csv;
    QVERIFY(csv.open(QIODevice::WriteOnly));
    QVERIFY(c.history->flush());
    const auto exported = c.history->exportCsv(csv, {}, {}, nullptr);
    QVERIFY2(exported, qPrintable(exported ? QString() : exported.error().message));
    const QByteArray quoted = '"' + id.toUtf8().replace("\"", "\"\"") + '"';
    QVERIFY2(csv.data().contains(',' + id.toUtf8() + ',') || csv.data().contains(quoted),
             csv.data().left(600).constData());

    // reboundctl takes the id as it is: it revives the dead task (a new attempt on the service).
    c.orchestrator->stop();
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("REBOUND_TOKEN"), QStringLiteral("test-token-123"));
    const ProcessRun retry = runProcess(QStringLiteral(REBOUNDCTL_PATH),
                                       {QStringLiteral("retry"), id, QStringLiteral("--url"), taskd.url}, env);
    QVERIFY2(retry.code == 0, qPrintable(retry.err + retry.out));
    QTRY_COMPARE_WITH_TIMEOUT(taskd.get(path + QStringLiteral("/attempts"))
                                  .json()
                                  .value(QStringLiteral("attempts"))
                                  .toArray()
                                  .size(),
                              4, 10'000);
}

void TestTaskIds::endpointIdentity_data()
{
    QTest::addColumn<QString>("typed");
    QTest::addColumn<QString>("identity");
    QTest::newRow("as is") << "http://127.0.0.1:8080" << "http://127.0.0.1:8080";
    QTest::newRow("root slash") << "http://127.0.0.1:8080/" << "http://127.0.0.1:8080";
    QTest::newRow("upper case") << "HTTP://LocalHost:8080/" << "http://localhost:8080";
    QTest::newRow("default http port") << "http://h:80/" << "http://h";
    QTest::newRow("default https port") << "https://h:443" << "https://h";
    QTest::newRow("other port kept") << "https://h:80" << "https://h:80";
    QTest::newRow("base path") << "http://h/api//" << "http://h/api";
    QTest::newRow("user info dropped") << "http://u:p@h:81/" << "http://h:81";
}

void TestTaskIds::endpointIdentity()
{
    QFETCH(QString, typed);
    QFETCH(QString, identity);
    EndpointConfig c;
    c.baseUrl = QUrl(typed, QUrl::StrictMode);
    QCOMPARE(c.key(), identity);
}

void TestTaskIds::watchUpgradeCarriesTraceparent()
{
    RequestRecorder recorder;
    SystemClock clock;
    SeededRandom rng(3);
    EndpointConfig config;
    config.baseUrl = QUrl(recorder.url());
    EndpointClient client(config, clock, rng);
    bool answered = false;
    client.send(TaskApi::getTask(QStringLiteral("t1")), [&](const ApiResponse &) { answered = true; });
    std::unique_ptr<WatchChannel> watch = client.openWatch();
    QVERIFY(watch);
    bool closed = false; // the recorder answers 404: the upgrade is refused
    watch->open({{}, {}, [&closed](const QString &) { closed = true; }});
    QTRY_VERIFY_WITH_TIMEOUT(answered && closed, 10'000);
    QCOMPARE(recorder.heads.size(), 2);
    const QRegularExpression traceparent(
        QStringLiteral("\\r\\ntraceparent: 00-([0-9a-f]{32})-[0-9a-f]{16}-01(\\r\\n|$)"),
        QRegularExpression::CaseInsensitiveOption);
    QStringList traces;
    for (const QByteArray &head : std::as_const(recorder.heads)) {
        const auto m = traceparent.match(QString::fromLatin1(head));
        QVERIFY2(m.hasMatch(), head.constData());
        traces << m.captured(1);
    }
    QVERIFY(recorder.lines.contains("GET /v1/watch HTTP/1.1"));
    QVERIFY(traces[0] != traces[1]); // a trace of its own
}

QTEST_GUILESS_MAIN(TestTaskIds)
#include "tst_taskids.moc"
