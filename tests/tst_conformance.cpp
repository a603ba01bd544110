// The Task API contract, checked by tools nobody here wrote (integration test):
// - Stoplight Prism as a validating proxy between reboundctl and rebound-taskd: every request
//   and every answer must match resources/api/task-api.yaml, and every status code an answer
//   carries must be declared for its route;
// - Prism as a mock generated from the spec alone (its examples, then random schema-valid
//   data): reboundctl must accept what the spec allows, must not loop on a cursor that never
//   moves on, and must encode the random task ids in paths exactly once;
// - Redocly's linter on the spec, and promtool on taskd's /metrics.
// The tools are pinned in tests/conformance/package.json; ./dev.sh installs them.
#include "ProcessRun.h"
#include "TaskdProcess.h"
#include "remote/WatchProtocol.h"

#include <QDeadlineTimer>
#include <QJsonArray>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

namespace {

const QString kSpec = QStringLiteral(REBOUND_SPEC);
const QByteArray kToken = "conformance-token-0123456789";
// Attempts fail at once with 503, so tasks reach "failed" and can be retried and cancelled;
// attempts of conformance.hung never end by themselves, so they can be aborted.
const QByteArray kFailing =
    R"({"default":{"unavailable":1.0,"retryAfterProbability":0,"latencyMinMs":5,"latencyMaxMs":10},)"
    R"("types":{"conformance.hung":{"hang":1.0}}})";

QProcessEnvironment toolEnvironment()
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    // Neither tool may phone home from a test.
    env.insert(QStringLiteral("SCARF_ANALYTICS"), QStringLiteral("false"));
    env.insert(QStringLiteral("DO_NOT_TRACK"), QStringLiteral("1"));
    env.insert(QStringLiteral("REDOCLY_TELEMETRY"), QStringLiteral("off"));
    env.insert(QStringLiteral("REDOCLY_SUPPRESS_UPDATE_NOTICE"), QStringLiteral("true"));
    env.insert(QStringLiteral("NO_COLOR"), QStringLiteral("1"));
    env.insert(QStringLiteral("REBOUND_TOKEN"), QString::fromLatin1(kToken));
    return env;
}

quint16 freePort()
{
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost, 0);
    return probe.serverPort();
}

/// One Prism process (proxy or mock) on a loopback port; its log is kept for inspection.
class Prism
{
public:
    Prism(const QStringList &args)
    {
        port = freePort();
        m_process.setProcessEnvironment(toolEnvironment());
        m_process.setProcessChannelMode(QProcess::MergedChannels);
        QObject::connect(&m_process, &QProcess::readyRead,
                         [this] { m_log += m_process.readAll(); });
        m_process.start(QStringLiteral(REBOUND_NODE_TOOLS "/node_modules/.bin/prism"),
                        QStringList(args) << QStringLiteral("--host") << QStringLiteral("127.0.0.1")
                                          << QStringLiteral("--port") << QString::number(port));
        (void)QTest::qWaitFor( // node is slow to start on a busy machine
            [this] {
                return m_log.contains("Prism is listening") ||
                       m_process.state() == QProcess::NotRunning;
            },
            90'000);
        ready = m_log.contains("Prism is listening");
        url = QStringLiteral("http://127.0.0.1:%1").arg(port);
    }
    ~Prism()
    {
        m_process.kill();
        m_process.waitForFinished(5000);
    }
    QByteArray log() const { return m_log; }
    /// Log lines from `from` (a size of log() seen earlier) on.
    QList<QByteArray> linesSince(qsizetype from, const QByteArray &containing) const
    {
        QList<QByteArray> out;
        for (const QByteArray &l : m_log.mid(from).split('\n'))
            if (l.contains(containing))
                out << l.trimmed();
        return out;
    }

    bool ready = false;
    quint16 port = 0;
    QString url;

private:
    QProcess m_process;
    QByteArray m_log;
};

using Run = ProcessRun;

Run reboundctl(const QStringList &args)
{
    return runProcess(QStringLiteral(REBOUNDCTL_PATH), args, toolEnvironment());
}

/// `reboundctl watch` against `url` for `seconds`, on a database of its own.
Run watchFor(const QString &url, const QString &db, int seconds)
{
    return reboundctl({QStringLiteral("watch"), QStringLiteral("--url"), url,
                       QStringLiteral("--db"), db, QStringLiteral("--duration"),
                       QString::number(seconds)});
}

} // namespace

class TestConformance final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void specLintsWithoutErrors();
    void reboundctlTrafficHasNoViolation();
    void provokedAnswersAreDeclared_data();
    void provokedAnswersAreDeclared();
    void staticMockDoesNotLoop();
    void dynamicMockIsAccepted();
    void metricsPassPromtool();
    void watchMetricsPassPromtool();
    void watchUpgradeAnswerIsDeclared_data();
    void watchUpgradeAnswerIsDeclared();

private:
    QString failedTask();
    QByteArray version(const QString &id);
    TaskdProcess::Reply viaPrism(const QByteArray &method, const QString &path,
                                 const QByteArray &body,
                                 QList<QPair<QByteArray, QByteArray>> headers, bool auth = true);

    std::unique_ptr<TaskdProcess> m_taskd;
    std::unique_ptr<Prism> m_proxy;
    QTemporaryDir m_dir;
};

void TestConformance::initTestCase()
{
    QVERIFY2(QFile::exists(QStringLiteral(REBOUND_NODE_TOOLS "/node_modules/.bin/prism")),
             "Prism is missing: ./dev.sh test installs it into .cache/node-tools");
    m_taskd = std::make_unique<TaskdProcess>(QStringList{}, kToken);
    QVERIFY2(m_taskd->start(0, kFailing), qPrintable(m_taskd->error));
    m_proxy = std::make_unique<Prism>(QStringList{QStringLiteral("proxy"), kSpec, m_taskd->url});
    QVERIFY2(m_proxy->ready, m_proxy->log().constData());
}

void TestConformance::cleanupTestCase()
{
    m_proxy.reset();
    m_taskd.reset();
}

QString TestConformance::failedTask()
{
    const QString id = m_taskd->createTask(QStringLiteral("conformance.x"));
    (void)m_taskd->waitForState(id, QStringLiteral("failed")); // the caller checks
    return id;
}

QByteArray TestConformance::version(const QString &id)
{
    return '"' + QByteArray::number(m_taskd->task(id).value(QStringLiteral("version")).toInt()) +
           '"';
}

TaskdProcess::Reply TestConformance::viaPrism(const QByteArray &method, const QString &path,
                                              const QByteArray &body,
                                              QList<QPair<QByteArray, QByteArray>> headers,
                                              bool auth)
{
    QNetworkAccessManager nam;
    QNetworkRequest req(QUrl(m_proxy->url + path));
    if (auth)
        req.setRawHeader("Authorization", "Bearer " + kToken);
    if (!body.isEmpty() && std::none_of(headers.begin(), headers.end(), [](const auto &h) {
            return h.first.compare("Content-Type", Qt::CaseInsensitive) == 0;
        }))
        headers.append(qMakePair(QByteArray("Content-Type"), QByteArray("application/json")));
    for (const auto &[k, v] : headers)
        req.setRawHeader(k, v);
    return TaskdProcess::exchange(nam, req, method, body);
}

void TestConformance::specLintsWithoutErrors()
{
    const Run r = runProcess(QStringLiteral(REBOUND_NODE_TOOLS "/node_modules/.bin/redocly"),
                             {QStringLiteral("lint"), kSpec, QStringLiteral("--format=summary")},
                             toolEnvironment(), {}, 120'000);
    qInfo("redocly lint: %s", qPrintable((r.out + r.err).trimmed().replace(u'\n', u' ')));
    QVERIFY2(r.code == 0, qPrintable(r.out + r.err));
    QVERIFY(!(r.out + r.err).contains(QRegularExpression(QStringLiteral("[1-9][0-9]* error"))));
}

void TestConformance::reboundctlTrafficHasNoViolation()
{
    // Everything reboundctl does, through the validating proxy: watch (polling, automatic
    // retries and cancels on the built-in policy), tasks, an operator retry and a cancel.
    for (int i = 0; i < 6; ++i)
        failedTask();
    const qsizetype from = m_proxy->log().size();
    const QString url = m_proxy->url;
    const Run watch = watchFor(url, m_dir.filePath(QStringLiteral("h.sqlite")), 6);
    QCOMPARE(watch.code, 0);
    const Run tasks = reboundctl({QStringLiteral("tasks"), QStringLiteral("--url"), url});
    QVERIFY2(tasks.code == 0, qPrintable(tasks.err));
    const QString retried = failedTask();
    const Run retry = reboundctl({QStringLiteral("retry"), retried, QStringLiteral("--url"), url});
    QVERIFY2(retry.code == 0, qPrintable(retry.err));
    const QString cancelled = failedTask();
    const Run cancel =
        reboundctl({QStringLiteral("cancel"), cancelled, QStringLiteral("--url"), url});
    QVERIFY2(cancel.code == 0, qPrintable(cancel.err));

    // Prism logs the cancel's answer a moment after reboundctl has it: wait for that line.
    QVERIFY(QTest::qWaitFor(
        [&] {
            const auto lines = m_proxy->linesSince(from, "has returned");
            return std::any_of(lines.cbegin(), lines.cend(),
                               [](const QByteArray &l) { return l.contains("/cancel"); });
        },
        10'000));
    const auto answered = m_proxy->linesSince(from, "has returned");
    QMap<QString, int> statuses;
    static const QRegularExpression re(QStringLiteral("call to (\\S+) has returned (\\d+)"));
    for (const QByteArray &l : answered) {
        const auto m = re.match(QString::fromUtf8(l));
        if (m.hasMatch())
            ++statuses[m.captured(2)];
    }
    QStringList summary;
    for (auto it = statuses.begin(); it != statuses.end(); ++it)
        summary << QStringLiteral("%1×%2").arg(it.key()).arg(it.value());
    qInfo("%lld answers through Prism: %s", qint64(answered.size()),
          qPrintable(summary.join(QStringLiteral(", "))));
    QVERIFY(answered.size() >= 10);
    QVERIFY(statuses.contains(QStringLiteral("202"))); // at least the operator retry
    QVERIFY(statuses.contains(QStringLiteral("200")));
    const auto violations = m_proxy->linesSince(from, "Violation");
    QVERIFY2(violations.isEmpty(), violations.join('\n').constData());
}

void TestConformance::provokedAnswersAreDeclared_data()
{
    // {scenario, expected status, the request itself breaks the spec on purpose}
    QTest::addColumn<QString>("scenario");
    QTest::addColumn<int>("status");
    QTest::addColumn<bool>("badRequestOnPurpose");
    const auto row = [](const char *name, int status, bool bad) {
        QTest::newRow(name) << QString::fromLatin1(name) << status << bad;
    };
    row("create", 201, false);
    row("health", 200, false);
    row("metrics", 200, false);
    row("openapi", 200, false);
    row("attempts of a task", 200, false);
    row("no token", 401, true);
    row("unknown task", 404, false);
    row("attempts of an unknown task", 404, false);
    row("cancel an unknown task", 404, false);
    row("unreadable cursor", 400, false);
    row("no Idempotency-Key", 400, true);
    row("unquoted If-Match", 400, false);
    row("no If-Match", 428, true);
    row("stale If-Match", 412, false);
    row("text/plain body", 415, true);
    row("key reused with another body", 422, false);
    row("replayed retry", 202, false);
    row("cancel twice", 409, false);
    row("abort a running attempt", 200, false);
    row("abort an ended attempt", 409, false);
    row("abort an attempt that never was", 404, false);
    row("bring back a cancelled task", 202, false);
    row("body over the cap", 413, false);
    row("nothing changed (weak ETag)", 304, false);
    row("expired cursor", 410, false);
    row("watch without an upgrade", 426, true); // the required Upgrade header is left out
}

void TestConformance::provokedAnswersAreDeclared()
{
    QFETCH(QString, scenario);
    QFETCH(int, status);
    QFETCH(bool, badRequestOnPurpose);
    const QByteArray operatorBody = R"({"reason":"operator"})";
    const auto attemptsPath = [](const QString &id) {
        return QStringLiteral("/v1/tasks/") + id + QStringLiteral("/attempts");
    };
    const auto keyFor = [&] { return QByteArray("k-" + scenario.toUtf8()).replace(' ', '-'); };
    TaskdProcess::Reply r;
    if (scenario == QLatin1String("create")) {
        r = viaPrism("POST", QStringLiteral("/v1/tasks"),
                     R"({"type":"conformance.create","labels":{"team":"a"}})", {});
        QVERIFY(r.headers.contains("location"));
    } else if (scenario == QLatin1String("health")) {
        r = viaPrism("GET", QStringLiteral("/v1/health"), {}, {});
    } else if (scenario == QLatin1String("metrics")) {
        r = viaPrism("GET", QStringLiteral("/metrics"), {}, {}, false);
    } else if (scenario == QLatin1String("openapi")) {
        r = viaPrism("GET", QStringLiteral("/openapi.yaml"), {}, {}, false);
    } else if (scenario == QLatin1String("attempts of a task")) {
        r = viaPrism("GET", attemptsPath(failedTask()), {}, {});
    } else if (scenario == QLatin1String("no token")) {
        r = viaPrism("GET", QStringLiteral("/v1/tasks"), {}, {}, false);
    } else if (scenario == QLatin1String("watch without an upgrade")) {
        r = viaPrism("GET", QStringLiteral("/v1/watch"), {},
                     {}); // (Prism drops hop-by-hop Upgrade)
    } else if (scenario == QLatin1String("unknown task")) {
        r = viaPrism("GET", QStringLiteral("/v1/tasks/no-such-task"), {}, {});
    } else if (scenario == QLatin1String("attempts of an unknown task")) {
        r = viaPrism("GET", attemptsPath(QStringLiteral("no-such-task")), {}, {});
    } else if (scenario == QLatin1String("cancel an unknown task")) {
        r = viaPrism("POST", QStringLiteral("/v1/tasks/no-such-task/cancel"), operatorBody,
                     {{"If-Match", "\"1\""}, {"Idempotency-Key", keyFor()}});
    } else if (scenario == QLatin1String("unreadable cursor")) {
        r = viaPrism("GET", QStringLiteral("/v1/tasks?since=not-a-cursor"), {}, {});
    } else if (scenario == QLatin1String("no Idempotency-Key")) {
        const QString id = failedTask();
        r = viaPrism("POST", attemptsPath(id), operatorBody, {{"If-Match", version(id)}});
    } else if (scenario == QLatin1String("unquoted If-Match")) {
        const QString id = failedTask();
        r = viaPrism("POST", attemptsPath(id), operatorBody,
                     {{"If-Match", version(id).mid(1).chopped(1)}, {"Idempotency-Key", keyFor()}});
    } else if (scenario == QLatin1String("no If-Match")) {
        r = viaPrism("POST", attemptsPath(failedTask()), operatorBody,
                     {{"Idempotency-Key", keyFor()}});
    } else if (scenario == QLatin1String("stale If-Match")) {
        r = viaPrism("POST", attemptsPath(failedTask()), operatorBody,
                     {{"If-Match", "\"0\""}, {"Idempotency-Key", keyFor()}});
    } else if (scenario == QLatin1String("text/plain body")) {
        const QString id = failedTask();
        r = viaPrism("POST", attemptsPath(id), operatorBody,
                     {{"If-Match", version(id)},
                      {"Idempotency-Key", keyFor()},
                      {"Content-Type", "text/plain"}});
    } else if (scenario == QLatin1String("key reused with another body") ||
               scenario == QLatin1String("replayed retry")) {
        const QString id = failedTask();
        const QList<QPair<QByteArray, QByteArray>> headers = {{"If-Match", version(id)},
                                                              {"Idempotency-Key", keyFor()}};
        QCOMPARE(viaPrism("POST", attemptsPath(id), operatorBody, headers).status, 202);
        const bool replay = scenario == QLatin1String("replayed retry");
        r = viaPrism("POST", attemptsPath(id), replay ? operatorBody : R"({"reason":"auto"})",
                     headers);
        if (replay)
            QCOMPARE(r.headers.value("idempotent-replayed"), QByteArray("true"));
    } else if (scenario == QLatin1String("cancel twice")) {
        const QString id = failedTask();
        const QString path = QStringLiteral("/v1/tasks/") + id + QStringLiteral("/cancel");
        QCOMPARE(viaPrism("POST", path, operatorBody,
                          {{"If-Match", version(id)}, {"Idempotency-Key", keyFor() + "-1"}})
                     .status,
                 200);
        r = viaPrism("POST", path, operatorBody,
                     {{"If-Match", version(id)}, {"Idempotency-Key", keyFor() + "-2"}});
    } else if (scenario.startsWith(QLatin1String("abort"))) {
        const QString id = m_taskd->createTask(QStringLiteral("conformance.hung"));
        const bool never = scenario == QLatin1String("abort an attempt that never was");
        const QString path =
            attemptsPath(id) + (never ? QStringLiteral("/9/abort") : QStringLiteral("/1/abort"));
        const QByteArray abortBody = R"({"reason":"operator"})";
        if (scenario == QLatin1String("abort an ended attempt"))
            QCOMPARE(viaPrism("POST", path, abortBody,
                              {{"If-Match", version(id)}, {"Idempotency-Key", keyFor() + "-1"}})
                         .status,
                     200);
        r = viaPrism("POST", path, abortBody,
                     {{"If-Match", version(id)}, {"Idempotency-Key", keyFor()}});
        if (r.status == 200)
            QCOMPARE(r.json()
                         .value(QStringLiteral("lastAttempt"))
                         .toObject()
                         .value(QStringLiteral("outcome")),
                     QJsonValue(QStringLiteral("timeout")));
    } else if (scenario == QLatin1String("bring back a cancelled task")) {
        const QString id = failedTask();
        QCOMPARE(viaPrism("POST", QStringLiteral("/v1/tasks/") + id + QStringLiteral("/cancel"),
                          operatorBody,
                          {{"If-Match", version(id)}, {"Idempotency-Key", keyFor() + "-c"}})
                     .status,
                 200);
        r = viaPrism("POST", attemptsPath(id), operatorBody,
                     {{"If-Match", version(id)}, {"Idempotency-Key", keyFor()}});
    } else if (scenario == QLatin1String("body over the cap")) {
        const QByteArray big =
            R"({"type":"x","payload":")" + QByteArray(1200 * 1024, 'a') + R"("})";
        r = viaPrism("POST", QStringLiteral("/v1/tasks"), big, {});
    } else if (scenario == QLatin1String("nothing changed (weak ETag)") ||
               scenario == QLatin1String("expired cursor")) {
        // Earlier rows' attempts end (the hung type's run for a minute): nothing changes now.
        QVERIFY(m_taskd->waitQuiet(10'000, QStringLiteral("conformance.hung")));
        const auto first = viaPrism("GET", QStringLiteral("/v1/tasks?limit=1000"), {}, {});
        QCOMPARE(first.status, 200);
        const QString cursor = first.json().value(QStringLiteral("cursor")).toString();
        QByteArray headerValue;
        if (scenario == QLatin1String("expired cursor"))
            m_taskd->setFaults(QJsonObject{{QStringLiteral("expireCursors"), true}});
        else
            headerValue = "W/" + first.headers.value("etag");
        r = viaPrism("GET", QStringLiteral("/v1/tasks?since=") + cursor, {},
                     headerValue.isEmpty()
                         ? QList<QPair<QByteArray, QByteArray>>{}
                         : QList<QPair<QByteArray, QByteArray>>{{"If-None-Match", headerValue}});
    } else {
        QFAIL(qPrintable(QStringLiteral("no such scenario: ") + scenario));
    }
    QCOMPARE(r.status, status);
    // Prism lists what it found in `sl-violations`: nothing about the answer, ever; about the
    // request only where the row breaks the spec on purpose.
    const QJsonArray violations = QJsonDocument::fromJson(r.headers.value("sl-violations")).array();
    bool requestViolation = false;
    for (const QJsonValue &v : violations) {
        const QString where =
            v.toObject().value(QStringLiteral("location")).toArray().at(0).toString();
        QVERIFY2(where == QLatin1String("request"),
                 QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact).constData());
        requestViolation = true;
    }
    QCOMPARE(requestViolation, badRequestOnPurpose);
    if (status >= 400)
        QVERIFY(r.headers.value("content-type").startsWith("application/problem+json"));
}

void TestConformance::staticMockDoesNotLoop()
{
    // Prism's static mock answers every page with the spec's example: `more: true` and the same
    // cursor for ever. tasks must stop and name it; watch must back off, not spin.
    Prism mock({QStringLiteral("mock"), kSpec});
    QVERIFY2(mock.ready, mock.log().constData());
    const Run tasks = reboundctl({QStringLiteral("tasks"), QStringLiteral("--url"), mock.url});
    QCOMPARE(tasks.code, 1);
    QVERIFY2(tasks.err.contains(
                 QStringLiteral("cursor ZTYzZDM4MS4xMjM did not advance while more is true")),
             qPrintable(tasks.err));
    const qsizetype from = mock.log().size();
    const Run watch = watchFor(mock.url, m_dir.filePath(QStringLiteral("s.sqlite")), 5);
    QCOMPARE(watch.code, 0);
    QVERIFY2(watch.out.contains(QStringLiteral("\"event\":\"endpoint_misbehaving\"")) &&
                 watch.out.contains(QStringLiteral("cursor ZTYzZDM4MS4xMjM did not advance")),
             qPrintable(watch.out));
    const qsizetype polls = mock.linesSince(from, "get /v1/tasks ").size();
    qInfo("static mock: %lld list requests in 5 s of watch", qint64(polls));
    QVERIFY2(polls <= 12, qPrintable(QString::number(polls))); // backoff, not a loop
    QVERIFY(!watch.out.contains(QStringLiteral("malformed answer")));
}

void TestConformance::dynamicMockIsAccepted()
{
    // Random data that the spec allows (json-schema-faker): the client must take all of it.
    Prism mock({QStringLiteral("mock"), QStringLiteral("--dynamic"), kSpec});
    QVERIFY2(mock.ready, mock.log().constData());
    for (int i = 0; i < 3; ++i) {
        const Run tasks = reboundctl(
            {QStringLiteral("tasks"), QStringLiteral("--url"), mock.url, QStringLiteral("--json")});
        QVERIFY2(!tasks.err.contains(QStringLiteral("malformed answer")), qPrintable(tasks.err));
        // Random pages end when `more` comes out false; a repeated random cursor is the only
        // other way out.
        QVERIFY2(tasks.code == 0 || tasks.err.contains(QStringLiteral("did not advance")),
                 qPrintable(tasks.err));
        qInfo("dynamic mock, tasks run %d: %s", i + 1, qPrintable(tasks.err.trimmed()));
    }
    const qsizetype from = mock.log().size();
    const Run watch = watchFor(mock.url, m_dir.filePath(QStringLiteral("d.sqlite")), 5);
    QCOMPARE(watch.code, 0);
    QVERIFY2(!watch.out.contains(QStringLiteral("malformed answer")), qPrintable(watch.out));
    // Every page is new data here, so watch acts on it (attempt look-ups, cancels of tasks
    // whose random attempt numbers exceed the policy); the list itself is polled a few times a
    // second at most.
    const qsizetype requests = mock.linesSince(from, "Request received").size();
    const qsizetype polls = mock.linesSince(from, "get /v1/tasks ").size();
    qInfo("dynamic mock: %lld requests in 5 s of watch, %lld of them list polls", qint64(requests),
          qint64(polls));
    // At least the snapshot; how many more depends on how many actions the random tasks call
    // for (each page can ask for hundreds, and polls wait behind them in the bulkhead).
    QVERIFY(polls >= 1);
    QVERIFY2(polls <= 30, qPrintable(QString::number(polls)));
    // The random ids (lorem words, with spaces) go out as path segments encoded exactly once:
    // a '%' encoded again (%25) would name a task that does not exist.
    const QList<QByteArray> withId = mock.linesSince(from, " /v1/tasks/");
    for (const QByteArray &line : withId)
        QVERIFY2(!line.contains("%25"), line.constData());
    const qsizetype encoded = std::count_if(withId.cbegin(), withId.cend(),
                                            [](const QByteArray &l) { return l.contains('%'); });
    qInfo("dynamic mock: %lld requests named a task in their path, %lld of them with "
          "percent-encoded characters, none encoded twice",
          qint64(withId.size()), qint64(encoded));
    QVERIFY(!withId.isEmpty());
}

void TestConformance::metricsPassPromtool()
{
    // Traffic to paths nobody declared, without a token, then the exposition through promtool.
    const auto seriesOf = [](const QByteArray &text) {
        int n = 0;
        for (const QByteArray &l : text.split('\n'))
            n += !l.isEmpty() && !l.startsWith('#');
        return n;
    };
    m_taskd->request("GET", QStringLiteral("/unmatched-warm-up"), {}, {}, false);
    const int before = seriesOf(m_taskd->metrics());
    for (int i = 0; i < 50; ++i)
        m_taskd->request("GET", QStringLiteral("/probe/%1/%2").arg(i).arg(i * 104729), {}, {},
                         false);
    const QByteArray metrics = m_taskd->metrics();
    QCOMPARE(seriesOf(metrics), before);
    const Run check = runProcess(QStringLiteral(REBOUND_PROMTOOL),
                                 {QStringLiteral("check"), QStringLiteral("metrics")},
                                 toolEnvironment(), metrics);
    qInfo("promtool check metrics: exit %d, %lld series", check.code, qint64(seriesOf(metrics)));
    QVERIFY2(check.code == 0, qPrintable(check.out + check.err));
    QVERIFY2((check.out + check.err).trimmed().isEmpty(), qPrintable(check.out + check.err));
}

void TestConformance::watchMetricsPassPromtool()
{
    // reboundctl watch deciding on failing tasks, scraped live, then through promtool.
    for (int i = 0; i < 4; ++i)
        failedTask();
    QProcess watch;
    watch.setProcessEnvironment(toolEnvironment());
    watch.start(QStringLiteral(REBOUNDCTL_PATH),
                {QStringLiteral("watch"), QStringLiteral("--url"), m_taskd->url,
                 QStringLiteral("--db"), m_dir.filePath(QStringLiteral("m.sqlite")),
                 QStringLiteral("--duration"), QStringLiteral("20"), QStringLiteral("--metrics"),
                 QStringLiteral("127.0.0.1:0")});
    const auto stop = qScopeGuard([&watch] {
        watch.terminate();
        if (!watch.waitForFinished(5000))
            watch.kill();
        watch.waitForFinished(5000);
    });
    // Its first line names the address the OS chose.
    QByteArray log;
    const QRegularExpression at(
        QStringLiteral("\"metrics\":\"http://127\\.0\\.0\\.1:(\\d+)/metrics\""));
    QRegularExpressionMatch m;
    QDeadlineTimer deadline(10'000);
    while (!(m = at.match(QString::fromUtf8(log))).hasMatch() && !deadline.hasExpired()) {
        watch.waitForReadyRead(200);
        log += watch.readAllStandardOutput();
    }
    QVERIFY2(m.hasMatch(), log.constData());
    const quint16 port = quint16(m.captured(1).toUInt());
    const auto scrape = [port] {
        QTcpSocket s;
        s.connectToHost(QHostAddress::LocalHost, port);
        if (!s.waitForConnected(5000))
            return QByteArray();
        s.write("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        QByteArray out;
        while (s.waitForReadyRead(5000))
            out += s.readAll();
        return out.mid(out.indexOf("\r\n\r\n") + 4);
    };
    QByteArray metrics;
    // Watching taskd directly, push goes live: the scrape says so.
    const QByteArray pushLive = "rebound_push_live{endpoint=\"" + m_taskd->url.toUtf8() + "\"} 1";
    (void)QTest::qWaitFor(
        [&] {
            metrics = scrape();
            return metrics.contains("rebound_decisions_total{") && metrics.contains(pushLive);
        },
        15'000);
    QVERIFY2(metrics.contains("rebound_decisions_total{"), metrics.constData());
    QVERIFY2(metrics.contains(pushLive), metrics.constData());
    const Run check = runProcess(QStringLiteral(REBOUND_PROMTOOL),
                                 {QStringLiteral("check"), QStringLiteral("metrics")},
                                 toolEnvironment(), metrics);
    qInfo("promtool check metrics on reboundctl watch: exit %d, %lld lines", check.code,
          qint64(metrics.count('\n')));
    QVERIFY2(check.code == 0, qPrintable(check.out + check.err));
    QVERIFY2((check.out + check.err).trimmed().isEmpty(), qPrintable(check.out + check.err));
}

void TestConformance::watchUpgradeAnswerIsDeclared_data()
{
    QTest::addColumn<QByteArray>("token");
    QTest::addColumn<int>("status");
    QTest::newRow("upgraded") << kToken << 101;
    QTest::newRow("wrong token") << QByteArray("wrong") << 401;
}

void TestConformance::watchUpgradeAnswerIsDeclared()
{
    // Prism proxies no WebSocket, so the upgrade is checked here, against taskd directly: the
    // status is one the spec declares for /v1/watch, and a 101 is a correct RFC 6455 handshake
    // whose first message is the bookmark the spec promises.
    QFETCH(QByteArray, token);
    QFETCH(int, status);
    QFile specFile(QStringLiteral(REBOUND_SPEC));
    QVERIFY(specFile.open(QIODevice::ReadOnly));
    const QByteArray spec = specFile.readAll();
    const qsizetype from = spec.indexOf("\n  /v1/watch:\n");
    QVERIFY(from > 0);
    const qsizetype to = spec.indexOf("\n  /", from + 5);
    const QByteArray block = spec.mid(from, to - from);
    QVERIFY2(block.contains("        \"" + QByteArray::number(status) + "\":"),
             "status not declared for /v1/watch");

    QTcpSocket s;
    s.connectToHost(QStringLiteral("127.0.0.1"), m_taskd->port);
    QVERIFY(s.waitForConnected(5000));
    s.write("GET /v1/watch HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\nAuthorization: Bearer " +
            token + "\r\n\r\n");
    QByteArray in;
    while (!in.contains("\r\n\r\n") && s.waitForReadyRead(5000))
        in += s.readAll();
    QVERIFY2(in.startsWith("HTTP/1.1 " + QByteArray::number(status) + ' '), in.constData());
    if (status != 101) {
        QVERIFY(in.contains("application/problem+json"));
        return;
    }
    // The accept value of RFC 6455's own example key.
    QVERIFY2(in.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), in.constData());
    QVERIFY(in.toLower().contains("upgrade: websocket"));
    const QByteArray sub = rebound::WatchProtocol::subscribe(QString());
    QByteArray frame("\x81", 1);
    frame += char(0x80 | sub.size());
    frame += QByteArray(4, '\0'); // a zero mask: the payload goes as it is
    frame += sub;
    s.write(frame);
    in = in.mid(in.indexOf("\r\n\r\n") + 4);
    while (in.size() < 2 && s.waitForReadyRead(5000))
        in += s.readAll();
    QVERIFY(in.size() >= 2);
    QCOMPARE(quint8(in[0]), quint8(0x81)); // one unmasked text frame
    qsizetype len = quint8(in[1]) & 0x7f, head = 2;
    if (len == 126) {
        while (in.size() < 4 && s.waitForReadyRead(5000))
            in += s.readAll();
        len = (quint8(in[2]) << 8) | quint8(in[3]);
        head = 4;
    }
    while (in.size() < head + len && s.waitForReadyRead(5000))
        in += s.readAll();
    const auto first = rebound::WatchProtocol::decodeEvent(in.mid(head, len));
    QVERIFY2(first, qPrintable(first ? QString() : first.error().message));
    QCOMPARE(first->kind, rebound::WatchProtocol::Event::Kind::Bookmark);
}

QTEST_GUILESS_MAIN(TestConformance)
#include "tst_conformance.moc"
