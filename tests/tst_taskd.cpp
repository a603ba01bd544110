// The reference service's contract, tested over HTTP against the real binary.
#include "PeakMemory.h"
#include "TaskdProcess.h"

#include <QJsonArray>
#include <QProcess>
#include <QSet>
#include <QSslCertificate>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

class TestTaskd final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void authRequired();
    void createAndGet();
    void snapshotPagingAndDelta();
    void notModifiedOnlyWhenNothingChanged();
    void expiredCursorIs410();
    void startAttemptPreconditions();
    void idempotencyReplayAndReuse();
    void requestInFlightIs409();
    void staleFenceIsRefusedWithoutActing();
    void cancel();
    void faultsRefuseWithoutStarting();
    void typeWithAwkwardCharacters();
    void metricsAndOpenApi();
    void metricsRoutesComeFromTheRouteTable();
    void faultsAreCountedOnce();
    void conditionalHeaders_data();
    void conditionalHeaders();
    void postBodyMustBeJson();
    void refusesUnsafeStart_data();
    void refusesUnsafeStart();
    void requestCaps();
    void hugeBodyIsCutWithoutBuffering();
    void journalSurvivesKill();
    void servesHttps();

private:
    // Every attempt fails fast with 503: tasks reach "failed" deterministically.
    static QByteArray failingProfile()
    {
        return R"({"default":{"unavailable":1.0,"retryAfterProbability":0,"latencyMinMs":5,"latencyMaxMs":10}})";
    }
    QString failedTask();
    std::unique_ptr<TaskdProcess> m_taskd;
};

void TestTaskd::initTestCase()
{
    m_taskd = std::make_unique<TaskdProcess>();
    QVERIFY2(m_taskd->start(0, failingProfile()), qPrintable(m_taskd->error));
    QVERIFY(m_taskd->url.startsWith(QStringLiteral("http://127.0.0.1:")));
}

void TestTaskd::cleanupTestCase()
{
    m_taskd.reset();
}

QString TestTaskd::failedTask()
{
    const QString id = m_taskd->createTask(QStringLiteral("sms.send"));
    (void)m_taskd->waitForState(id, QStringLiteral("failed"), 5000); // the caller checks
    return id;
}

void TestTaskd::authRequired()
{
    const auto r = m_taskd->request("GET", QStringLiteral("/v1/tasks"), {}, {}, false);
    QCOMPARE(r.status, 401);
    QVERIFY(r.headers.value("www-authenticate").startsWith("Bearer"));
    QVERIFY(r.headers.value("content-type").startsWith("application/problem+json"));
    QCOMPARE(r.json().value(QStringLiteral("type")).toString(),
             QStringLiteral("urn:rebound:problem:unauthorized"));
    const auto wrong = m_taskd->request("GET", QStringLiteral("/v1/tasks"), {},
                                        {{"Authorization", "Bearer nope"}}, false);
    QCOMPARE(wrong.status, 401);
}

void TestTaskd::createAndGet()
{
    const auto created = m_taskd->post(QStringLiteral("/v1/tasks"),
                                       R"({"type":"pdf.render","labels":{"team":"a"}})");
    QCOMPARE(created.status, 201);
    const QJsonObject t = created.json();
    QVERIFY(!t.value(QStringLiteral("id")).toString().isEmpty());
    QCOMPARE(t.value(QStringLiteral("attempt")).toInt(),
             1); // the service starts the initial attempt itself
    QCOMPARE(t.value(QStringLiteral("lastAttempt"))
                 .toObject()
                 .value(QStringLiteral("reason"))
                 .toString(),
             QStringLiteral("initial"));
    const auto got =
        m_taskd->get(QStringLiteral("/v1/tasks/") + t.value(QStringLiteral("id")).toString());
    QCOMPARE(got.status, 200);
    QCOMPARE(got.headers.value("etag"),
             '"' + QByteArray::number(got.json().value(QStringLiteral("version")).toInt()) + '"');
    QVERIFY(got.json().value(QStringLiteral("createdAt")).toString().endsWith(u'Z'));
    QCOMPARE(m_taskd->get(QStringLiteral("/v1/tasks/nope")).status, 404);
    QCOMPARE(m_taskd->post(QStringLiteral("/v1/tasks"), R"({"type":""})").status, 400);
}

void TestTaskd::snapshotPagingAndDelta()
{
    QSet<QString> created;
    for (int i = 0; i < 25; ++i)
        created.insert(m_taskd->createTask(QStringLiteral("page.test")));
    QVERIFY(m_taskd->waitQuiet()); // the simulated attempts end: nothing moves while paging
    QSet<QString> seen;
    QString cursor;
    int pages = 0;
    for (;;) {
        const auto r =
            m_taskd->get(QStringLiteral("/v1/tasks?limit=10") +
                         (cursor.isEmpty() ? QString() : QStringLiteral("&since=") + cursor));
        QCOMPARE(r.status, 200);
        ++pages;
        for (const QJsonValue &v : r.json().value(QStringLiteral("tasks")).toArray()) {
            const QString id = v.toObject().value(QStringLiteral("id")).toString();
            QVERIFY2(!seen.contains(id), "a task appeared twice in one snapshot");
            seen.insert(id);
        }
        cursor = r.json().value(QStringLiteral("cursor")).toString();
        if (!r.json().value(QStringLiteral("more")).toBool())
            break;
    }
    QVERIFY(pages >= 3);
    QVERIFY(seen.contains(created));
    // Delta: only what changed after the cursor.
    const QString changed = m_taskd->createTask(QStringLiteral("delta.test"));
    const auto delta = m_taskd->get(QStringLiteral("/v1/tasks?since=") + cursor);
    QCOMPARE(delta.status, 200);
    const QJsonArray tasks = delta.json().value(QStringLiteral("tasks")).toArray();
    QVERIFY(!tasks.isEmpty());
    for (const QJsonValue &v : tasks)
        QCOMPARE(v.toObject().value(QStringLiteral("id")).toString(), changed);
}

void TestTaskd::notModifiedOnlyWhenNothingChanged()
{
    const QString id = failedTask();
    QVERIFY(m_taskd->waitQuiet()); // earlier tests' attempts end: only this test moves tasks
    auto first = m_taskd->get(QStringLiteral("/v1/tasks?limit=1000"));
    const QString cursor = first.json().value(QStringLiteral("cursor")).toString();
    const QByteArray etag = first.headers.value("etag");
    QVERIFY(!etag.isEmpty());
    auto again = m_taskd->request("GET", QStringLiteral("/v1/tasks?since=") + cursor, {},
                                  {{"If-None-Match", etag}});
    QCOMPARE(again.status, 304);
    QVERIFY(again.body.isEmpty());
    // A change after the cursor: no 304, and the change is in the answer.
    const auto cancel = m_taskd->post(
        QStringLiteral("/v1/tasks/") + id + QStringLiteral("/cancel"), R"({"reason":"operator"})",
        {{"If-Match",
          '"' + QByteArray::number(m_taskd->task(id).value(QStringLiteral("version")).toInt()) +
              '"'},
         {"Idempotency-Key", "notmod-cancel"}});
    QCOMPARE(cancel.status, 200);
    again = m_taskd->request("GET", QStringLiteral("/v1/tasks?since=") + cursor, {},
                             {{"If-None-Match", etag}});
    QCOMPARE(again.status, 200);
    QCOMPARE(again.json()
                 .value(QStringLiteral("tasks"))
                 .toArray()
                 .first()
                 .toObject()
                 .value(QStringLiteral("state"))
                 .toString(),
             QStringLiteral("cancelled"));
}

void TestTaskd::expiredCursorIs410()
{
    const auto r = m_taskd->get(QStringLiteral("/v1/tasks?limit=1000"));
    const QString cursor = r.json().value(QStringLiteral("cursor")).toString();
    m_taskd->setFaults(QJsonObject{{QStringLiteral("expireCursors"), true}});
    const auto gone = m_taskd->get(QStringLiteral("/v1/tasks?since=") + cursor);
    QCOMPARE(gone.status, 410);
    QCOMPARE(gone.json().value(QStringLiteral("type")).toString(),
             QStringLiteral("urn:rebound:problem:cursor-expired"));
    QCOMPARE(m_taskd->get(QStringLiteral("/v1/tasks?since=garbage!")).status, 400);
    // A full snapshot still works and sees every task.
    QCOMPARE(m_taskd->get(QStringLiteral("/v1/tasks?limit=5")).status, 200);
}

void TestTaskd::startAttemptPreconditions()
{
    const QString id = failedTask();
    const QString path = QStringLiteral("/v1/tasks/") + id + QStringLiteral("/attempts");
    const QByteArray version =
        '"' + QByteArray::number(m_taskd->task(id).value(QStringLiteral("version")).toInt()) + '"';
    const QByteArray body = R"({"reason":"auto"})";
    auto r = m_taskd->post(path, body, {{"If-Match", version}});
    QCOMPARE(r.status, 400);
    QCOMPARE(r.json().value(QStringLiteral("type")).toString(),
             QStringLiteral("urn:rebound:problem:idempotency-key-missing"));
    r = m_taskd->post(path, body, {{"Idempotency-Key", "k-pre"}});
    QCOMPARE(r.status, 428);
    r = m_taskd->post(path, body, {{"Idempotency-Key", "k-pre"}, {"If-Match", "*"}});
    QCOMPARE(r.status, 428);
    QCOMPARE(r.json().value(QStringLiteral("type")).toString(),
             QStringLiteral("urn:rebound:problem:precondition-required"));
    r = m_taskd->post(path, body, {{"Idempotency-Key", "k-pre"}, {"If-Match", "\"1\""}});
    QCOMPARE(r.status, 412);
    QCOMPARE(r.json().value(QStringLiteral("type")).toString(),
             QStringLiteral("urn:rebound:problem:precondition-failed"));
    // The 412 was not stored: the same key goes through with the right version.
    r = m_taskd->post(path, body, {{"Idempotency-Key", "k-pre"}, {"If-Match", version}});
    QCOMPARE(r.status, 202);
    QCOMPARE(r.json().value(QStringLiteral("attempt")).toInt(), 2);
    QCOMPARE(r.json().value(QStringLiteral("state")).toString(), QStringLiteral("running"));
    QCOMPARE(r.headers.value("etag"),
             '"' + QByteArray::number(r.json().value(QStringLiteral("version")).toInt()) + '"');
    // Not failed (running now) -> 409 invalid-state with a fresh key.
    r = m_taskd->post(path, body,
                      {{"Idempotency-Key", "k-pre-2"}, {"If-Match", r.headers.value("etag")}});
    QCOMPARE(r.status, 409);
    QCOMPARE(r.json().value(QStringLiteral("type")).toString(),
             QStringLiteral("urn:rebound:problem:invalid-state"));
}

void TestTaskd::idempotencyReplayAndReuse()
{
    const QString id = failedTask();
    const QString path = QStringLiteral("/v1/tasks/") + id + QStringLiteral("/attempts");
    const QByteArray version =
        '"' + QByteArray::number(m_taskd->task(id).value(QStringLiteral("version")).toInt()) + '"';
    const double replaysBefore = m_taskd->metric("rebound_taskd_idempotent_replays_total");
    const auto first = m_taskd->post(path, R"({"reason":"auto"})",
                                     {{"Idempotency-Key", "k-replay"}, {"If-Match", version}});
    QCOMPARE(first.status, 202);
    QTRY_COMPARE_WITH_TIMEOUT(m_taskd->task(id).value(QStringLiteral("state")).toString(),
                              QStringLiteral("failed"), 5000);
    // Same key, same body, even with the now-stale If-Match: the original answer, nothing started.
    const auto replay = m_taskd->post(path, R"({"reason":"auto"})",
                                      {{"Idempotency-Key", "k-replay"}, {"If-Match", version}});
    QCOMPARE(replay.status, 202);
    QCOMPARE(replay.body, first.body);
    QCOMPARE(replay.headers.value("idempotent-replayed"), QByteArray("true"));
    QCOMPARE(m_taskd->attempts(id).size(), 2);
    QCOMPARE(m_taskd->metric("rebound_taskd_idempotent_replays_total"), replaysBefore + 1);
    // Same key, other body: 422.
    const auto reuse = m_taskd->post(path, R"({"reason":"operator"})",
                                     {{"Idempotency-Key", "k-replay"}, {"If-Match", version}});
    QCOMPARE(reuse.status, 422);
    QCOMPARE(reuse.json().value(QStringLiteral("type")).toString(),
             QStringLiteral("urn:rebound:problem:idempotency-key-reused"));
    // Keys are scoped per task: the same key on another task is a new request.
    const QString other = failedTask();
    const QByteArray otherVersion =
        '"' + QByteArray::number(m_taskd->task(other).value(QStringLiteral("version")).toInt()) +
        '"';
    QCOMPARE(m_taskd
                 ->post(QStringLiteral("/v1/tasks/") + other + QStringLiteral("/attempts"),
                        R"({"reason":"auto"})",
                        {{"Idempotency-Key", "k-replay"}, {"If-Match", otherVersion}})
                 .status,
             202);
}

void TestTaskd::staleFenceIsRefusedWithoutActing()
{
    QTemporaryDir dir;
    const QString state = dir.filePath(QStringLiteral("taskd.jsonl"));
    auto taskd = std::make_unique<TaskdProcess>(QStringList{QStringLiteral("--state"), state});
    QVERIFY(taskd->start(0, failingProfile()));
    const auto failedOne = [&] {
        const QString id = taskd->createTask(QStringLiteral("f.fail"));
        [&] {
            QTRY_COMPARE_WITH_TIMEOUT(taskd->task(id).value(QStringLiteral("state")).toString(),
                                      QStringLiteral("failed"), 5000);
        }();
        return id;
    };
    const auto start = [&](const QString &id, const QByteArray &key, const QByteArray &fence) {
        const QByteArray version =
            '"' + QByteArray::number(taskd->task(id).value(QStringLiteral("version")).toInt()) +
            '"';
        return taskd->post(
            QStringLiteral("/v1/tasks/") + id + QStringLiteral("/attempts"), R"({"reason":"auto"})",
            {{"Idempotency-Key", key}, {"If-Match", version}, {"Rebound-Fence", fence}});
    };
    const QString a = failedOne();
    QCOMPARE(start(a, "f1", "7:40").status, 202); // the first fence seen for shard 7
    const QString b = failedOne();
    QCOMPARE(start(b, "f2", "7:52").status, 202); // a newer owner of shard 7
    const QString c = failedOne();
    const auto stale = start(c, "f3", "7:40"); // the old owner, after the move
    QCOMPARE(stale.status, 409);
    QCOMPARE(stale.json().value(QStringLiteral("type")).toString(),
             QStringLiteral("urn:rebound:problem:stale-fence"));
    QCOMPARE(taskd->attempts(c).size(), 1); // nothing started
    QCOMPARE(taskd->metric("rebound_taskd_stale_fence_refusals_total"), 1.0);
    QCOMPARE(start(c, "f4", "8:1").status, 202); // fences are per shard
    const QString d = failedOne();
    for (const QByteArray &bad : {QByteArray("7"), QByteArray("7:0"), QByteArray("x:3"),
                                  QByteArray("70000:3"), QByteArray("7:3x")})
        QCOMPARE(start(d, "f5-" + bad.toHex(), bad).status, 400);
    // The highest fence survives a restart: the old owner is still refused.
    const quint16 port = taskd->port;
    taskd.reset();
    taskd = std::make_unique<TaskdProcess>(QStringList{QStringLiteral("--state"), state});
    QVERIFY(taskd->start(port, failingProfile()));
    QCOMPARE(start(d, "f6", "7:51").status, 409);
    QCOMPARE(start(d, "f7", "7:52").status, 202);

    // A new owner announces its claim before it acts: from then on the old fence is refused.
    const auto announce = [&](const QByteArray &body) {
        return taskd->post(QStringLiteral("/v1/fences"), body);
    };
    const auto kept = announce(R"({"shard":7,"revision":60})");
    QCOMPARE(kept.status, 200);
    QCOMPARE(kept.body, QByteArray(R"({"revision":60,"shard":7})"));
    QCOMPARE(announce(R"({"shard":7,"revision":60})").status, 200); // repeated: the same
    const QString e = failedOne();
    QCOMPARE(start(e, "f8", "7:52").status, 409); // the old owner, before the new one acted
    QCOMPARE(taskd->attempts(e).size(), 1);
    const double staleActions = taskd->metric("rebound_taskd_stale_fence_refusals_total");
    const auto late = announce(R"({"shard":7,"revision":59})"); // an announcer replaced since
    QCOMPARE(late.status, 409);
    QCOMPARE(late.json().value(QStringLiteral("type")).toString(),
             QStringLiteral("urn:rebound:problem:stale-fence"));
    // Counted apart: a late announcement acted on nothing.
    QCOMPARE(taskd->metric("rebound_taskd_stale_fence_announcements_total"), 1.0);
    QCOMPARE(taskd->metric("rebound_taskd_stale_fence_refusals_total"), staleActions);
    QCOMPARE(start(e, "f9", "7:60").status, 202);
    for (const QByteArray &bad :
         {QByteArray(R"({"shard":7})"), QByteArray(R"({"shard":-1,"revision":3})"),
          QByteArray(R"({"shard":70000,"revision":3})"), QByteArray(R"({"shard":7,"revision":0})"),
          QByteArray(R"({"shard":7,"revision":2.5})"), QByteArray(R"({"shard":"7","revision":3})"),
          QByteArray("[]")}) {
        const auto r = announce(bad);
        QVERIFY2(r.status == 400, bad.constData());
        QVERIFY2(r.json()
                     .value(QStringLiteral("detail"))
                     .toString()
                     .startsWith(QLatin1String("fence announcement: ")),
                 r.body.constData());
    }
    // Announced fences survive a restart too.
    taskd.reset();
    taskd = std::make_unique<TaskdProcess>(QStringList{QStringLiteral("--state"), state});
    QVERIFY(taskd->start(port, failingProfile()));
    QCOMPARE(announce(R"({"shard":7,"revision":59})").status, 409);
}

void TestTaskd::requestInFlightIs409()
{
    const QString id = failedTask();
    const QString path = QStringLiteral("/v1/tasks/") + id + QStringLiteral("/attempts");
    const QByteArray version =
        '"' + QByteArray::number(m_taskd->task(id).value(QStringLiteral("version")).toInt()) + '"';
    m_taskd->setFaults(QJsonObject{{QStringLiteral("slowMs"), 1500}});
    // The first request is held by the server; a duplicate sent meanwhile is told to come back.
    QNetworkAccessManager nam;
    QNetworkRequest req(QUrl(m_taskd->url + path));
    req.setRawHeader("Authorization", "Bearer test-token-123");
    req.setRawHeader("Idempotency-Key", "k-inflight");
    req.setRawHeader("If-Match", version);
    req.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    const QByteArray slowed = R"(rebound_taskd_faults_injected_total{kind="slow"})";
    const double before = std::max(0.0, m_taskd->metric(slowed));
    QNetworkReply *slow = nam.post(req, QByteArray(R"({"reason":"auto"})"));
    // The server has taken it (and holds its answer back).
    QVERIFY(QTest::qWaitFor([&] { return m_taskd->metric(slowed) > before; }, 5000));
    const auto dup = m_taskd->post(path, R"({"reason":"auto"})",
                                   {{"Idempotency-Key", "k-inflight"}, {"If-Match", version}});
    QCOMPARE(dup.status, 409);
    QCOMPARE(dup.json().value(QStringLiteral("type")).toString(),
             QStringLiteral("urn:rebound:problem:request-in-flight"));
    QTRY_VERIFY_WITH_TIMEOUT(slow->isFinished(), 10'000);
    QCOMPARE(slow->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 202);
    delete slow;
    m_taskd->setFaults(QJsonObject{});
    QCOMPARE(m_taskd
                 ->post(path, R"({"reason":"auto"})",
                        {{"Idempotency-Key", "k-inflight"}, {"If-Match", version}})
                 .status,
             202);
    QCOMPARE(m_taskd->attempts(id).size(), 2);
}

void TestTaskd::cancel()
{
    const QString id = failedTask();
    const QString path = QStringLiteral("/v1/tasks/") + id + QStringLiteral("/cancel");
    const QByteArray version =
        '"' + QByteArray::number(m_taskd->task(id).value(QStringLiteral("version")).toInt()) + '"';
    QCOMPARE(m_taskd
                 ->post(path, R"({"reason":"bored"})",
                        {{"Idempotency-Key", "c1"}, {"If-Match", version}})
                 .status,
             400);
    const auto r = m_taskd->post(path, R"({"reason":"exhausted"})",
                                 {{"Idempotency-Key", "c1"}, {"If-Match", version}});
    QCOMPARE(r.status, 200);
    QCOMPARE(r.json().value(QStringLiteral("state")).toString(), QStringLiteral("cancelled"));
    QCOMPARE(r.json().value(QStringLiteral("cancelReason")).toString(),
             QStringLiteral("exhausted"));
    const auto again =
        m_taskd->post(path, R"({"reason":"operator"})",
                      {{"Idempotency-Key", "c2"}, {"If-Match", r.headers.value("etag")}});
    QCOMPARE(again.status, 409);
}

void TestTaskd::faultsRefuseWithoutStarting()
{
    const QString id = failedTask();
    const QString path = QStringLiteral("/v1/tasks/") + id + QStringLiteral("/attempts");
    const QByteArray version =
        '"' + QByteArray::number(m_taskd->task(id).value(QStringLiteral("version")).toInt()) + '"';
    m_taskd->setFaults(QJsonObject{{QStringLiteral("failRate"), 1.0},
                                   {QStringLiteral("failStatus"), 503},
                                   {QStringLiteral("retryAfter"), QStringLiteral("3")}});
    const auto r = m_taskd->post(path, R"({"reason":"auto"})",
                                 {{"Idempotency-Key", "k-fault"}, {"If-Match", version}});
    QCOMPARE(r.status, 503);
    QCOMPARE(r.headers.value("retry-after"), QByteArray("3"));
    QCOMPARE(r.json().value(QStringLiteral("type")).toString(),
             QStringLiteral("urn:rebound:problem:unavailable"));
    m_taskd->setFaults(QJsonObject{});
    QCOMPARE(m_taskd->attempts(id).size(), 1); // the refused request started nothing
    // The key was not used up by the refusal.
    QCOMPARE(m_taskd
                 ->post(path, R"({"reason":"auto"})",
                        {{"Idempotency-Key", "k-fault"}, {"If-Match", version}})
                 .status,
             202);
    QCOMPARE(m_taskd->post(QStringLiteral("/admin/faults"), R"({"failRate":7})").status, 400);
}

void TestTaskd::typeWithAwkwardCharacters()
{
    const QString type = QStringLiteral("=cmd|' /C calc'!A0, \"quoted\"\nnew line ✓");
    const auto r =
        m_taskd->post(QStringLiteral("/v1/tasks"),
                      QJsonDocument(QJsonObject{{QStringLiteral("type"), type}}).toJson());
    QCOMPARE(r.status, 201);
    QCOMPARE(m_taskd->task(r.json().value(QStringLiteral("id")).toString())
                 .value(QStringLiteral("type"))
                 .toString(),
             type);
    QCOMPARE(
        m_taskd
            ->post(
                QStringLiteral("/v1/tasks"),
                QJsonDocument(QJsonObject{{QStringLiteral("type"), QString(201, u'x')}}).toJson())
            .status,
        400);
}

void TestTaskd::metricsAndOpenApi()
{
    const QByteArray m = m_taskd->metrics();
    QVERIFY(
        m.contains("rebound_taskd_attempts_started_total{type=\"sms.send\",reason=\"initial\"}"));
    QVERIFY(m.contains("rebound_taskd_conflict_answers_total{status=\"412\"}"));
    QVERIFY(m_taskd->metric("rebound_taskd_conflict_answers_total{status=\"412\"}") >= 1);
    QVERIFY(m.contains(
        "rebound_taskd_requests_total{route=\"/v1/tasks/{id}/attempts\",status=\"202\"}"));
    const auto api = m_taskd->request("GET", QStringLiteral("/openapi.yaml"), {}, {}, false);
    QCOMPARE(api.status, 200);
    QVERIFY(api.body.startsWith("openapi: 3"));
}

void TestTaskd::metricsRoutesComeFromTheRouteTable()
{
    // Paths a client invents (with or without a token) must not become new series.
    const auto series = [this] {
        int n = 0;
        for (const QByteArray &line : m_taskd->metrics().split('\n'))
            n += line.startsWith("rebound_taskd_requests_total{");
        return n;
    };
    m_taskd->request("GET", QStringLiteral("/warm-up-unmatched"), {}, {}, false);
    m_taskd->get(QStringLiteral("/warm-up-unmatched-with-token"));
    const int before = series();
    for (int i = 0; i < 50; ++i) {
        const QString path = QStringLiteral("/random-%1/x%2").arg(i).arg(i * 7919);
        QCOMPARE(m_taskd->request("GET", path, {}, {}, false).status, 404);
        QCOMPARE(m_taskd->get(QStringLiteral("/v1/") + path).status, 404);
    }
    QCOMPARE(series(), before);
    const QByteArray m = m_taskd->metrics();
    QVERIFY(m.contains("rebound_taskd_requests_total{route=\"unmatched\",status=\"404\"}"));
    QVERIFY(!m.contains("random-"));
}

void TestTaskd::faultsAreCountedOnce()
{
    const QString id = failedTask();
    const QString path = QStringLiteral("/v1/tasks/") + id;
    // A series that is not there yet counts as 0.
    const auto count = [this](const QByteArray &line) {
        return std::max(0.0, m_taskd->metric(line));
    };
    const QByteArray line = "rebound_taskd_requests_total{route=\"/v1/tasks/{id}\",status=\"503\"}";
    const QByteArray injected = "rebound_taskd_faults_injected_total{kind=\"fail\"}";
    const double before = count(line);
    const double injectedBefore = count(injected);
    m_taskd->setFaults(QJsonObject{{QStringLiteral("failRate"), 1.0}});
    QCOMPARE(m_taskd->get(path).status, 503);
    m_taskd->setFaults(QJsonObject{});
    QCOMPARE(count(line), before + 1);
    QCOMPARE(count(injected), injectedBefore + 1);
    QVERIFY(!m_taskd->metrics().contains("route=\"fault\""));
}

void TestTaskd::conditionalHeaders_data()
{
    // {header, value ("%1" = the current tag's opaque part), expected status}
    QTest::addColumn<QByteArray>("header");
    QTest::addColumn<QByteArray>("value");
    QTest::addColumn<int>("status");
    QTest::newRow("If-None-Match strong")
        << QByteArray("If-None-Match") << QByteArray("\"%1\"") << 304;
    QTest::newRow("If-None-Match weak")
        << QByteArray("If-None-Match") << QByteArray("W/\"%1\"") << 304;
    QTest::newRow("If-None-Match list")
        << QByteArray("If-None-Match") << QByteArray("\"old\", W/\"%1\"") << 304;
    QTest::newRow("If-None-Match other")
        << QByteArray("If-None-Match") << QByteArray("\"old\"") << 200;
    QTest::newRow("If-None-Match unquoted")
        << QByteArray("If-None-Match") << QByteArray("%1") << 200;
    QTest::newRow("If-Match strong") << QByteArray("If-Match") << QByteArray("\"%1\"") << 202;
    QTest::newRow("If-Match list") << QByteArray("If-Match") << QByteArray("\"0\", \"%1\"") << 202;
    QTest::newRow("If-Match weak never matches")
        << QByteArray("If-Match") << QByteArray("W/\"%1\"") << 412;
    QTest::newRow("If-Match unquoted") << QByteArray("If-Match") << QByteArray("%1") << 400;
    QTest::newRow("If-Match half-quoted") << QByteArray("If-Match") << QByteArray("\"%1") << 400;
}

void TestTaskd::conditionalHeaders()
{
    QFETCH(QByteArray, header);
    QFETCH(QByteArray, value);
    QFETCH(int, status);
    if (header == "If-None-Match") {
        const auto first = m_taskd->get(QStringLiteral("/v1/tasks?limit=1000"));
        QByteArray opaque = first.headers.value("etag");
        opaque = opaque.mid(1, opaque.size() - 2);
        const QString cursor = first.json().value(QStringLiteral("cursor")).toString();
        const auto r = m_taskd->request("GET", QStringLiteral("/v1/tasks?since=") + cursor, {},
                                        {{header, QByteArray(value).replace("%1", opaque)}});
        QCOMPARE(r.status, status);
        return;
    }
    const QString id = failedTask();
    const QByteArray version =
        QByteArray::number(m_taskd->task(id).value(QStringLiteral("version")).toInt());
    const auto r = m_taskd->post(
        QStringLiteral("/v1/tasks/") + id + QStringLiteral("/attempts"), R"({"reason":"operator"})",
        {{"Idempotency-Key", QByteArray("cond-") + QTest::currentDataTag()},
         {header, QByteArray(value).replace("%1", version)}});
    QCOMPARE(r.status, status);
    if (status == 400) {
        QVERIFY(r.headers.value("content-type").startsWith("application/problem+json"));
        QVERIFY2(r.json()
                     .value(QStringLiteral("detail"))
                     .toString()
                     .contains(QStringLiteral("If-Match: \"3\"")),
                 r.body.constData());
    }
}

void TestTaskd::postBodyMustBeJson()
{
    const QString id = failedTask();
    const QByteArray version =
        '"' + QByteArray::number(m_taskd->task(id).value(QStringLiteral("version")).toInt()) + '"';
    for (const QByteArray &type :
         {QByteArray("text/plain"), QByteArray("application/x-www-form-urlencoded")}) {
        const auto r = m_taskd->post(
            QStringLiteral("/v1/tasks/") + id + QStringLiteral("/attempts"),
            R"({"reason":"operator"})",
            {{"Idempotency-Key", "ct-" + type}, {"If-Match", version}, {"Content-Type", type}});
        QCOMPARE(r.status, 415);
        QCOMPARE(r.json().value(QStringLiteral("type")).toString(),
                 QStringLiteral("urn:rebound:problem:unsupported-media-type"));
        QVERIFY(r.json()
                    .value(QStringLiteral("detail"))
                    .toString()
                    .contains(QString::fromLatin1(type)));
    }
    QCOMPARE(m_taskd->attempts(id).size(), 1); // nothing started
    // A charset parameter is fine.
    const auto ok = m_taskd->post(QStringLiteral("/v1/tasks"), R"({"type":"ct.ok"})",
                                  {{"Content-Type", "application/json; charset=utf-8"}});
    QCOMPARE(ok.status, 201);
}

void TestTaskd::refusesUnsafeStart_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("message");
    QTest::newRow("no token") << QStringList{QStringLiteral("--listen"),
                                             QStringLiteral("127.0.0.1:0")}
                              << QStringLiteral("refusing to start without a token");
    QTest::newRow("not loopback") << QStringList{QStringLiteral("--listen"),
                                                 QStringLiteral("0.0.0.0:0"),
                                                 QStringLiteral("--no-auth")}
                                  << QStringLiteral("not a loopback address");
    QTest::newRow("bad listen") << QStringList{QStringLiteral("--listen"),
                                               QStringLiteral("localhost"),
                                               QStringLiteral("--no-auth")}
                                << QStringLiteral("expected ADDRESS:PORT");
    QTest::newRow("cert without key")
        << QStringList{QStringLiteral("--no-auth"), QStringLiteral("--tls-cert"),
                       QStringLiteral(REBOUND_TEST_DATA "/tls/server.pem")}
        << QStringLiteral("--tls-cert and --tls-key go together");
    QTest::newRow("key is not a key")
        << QStringList{QStringLiteral("--no-auth"), QStringLiteral("--tls-cert"),
                       QStringLiteral(REBOUND_TEST_DATA "/tls/server.pem"),
                       QStringLiteral("--tls-key"),
                       QStringLiteral(REBOUND_TEST_DATA "/tls/server.pem")}
        << QStringLiteral("not an unencrypted PEM RSA or EC private key");
}

void TestTaskd::refusesUnsafeStart()
{
    QFETCH(QStringList, args);
    QFETCH(QString, message);
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("REBOUND_TASKD_TOKEN"));
    p.setProcessEnvironment(env);
    p.start(QStringLiteral(TASKD_PATH), args);
    QVERIFY(p.waitForFinished(10'000));
    QCOMPARE(p.exitCode(), 2);
    QVERIFY(QString::fromUtf8(p.readAllStandardError()).contains(message));
}

void TestTaskd::requestCaps()
{
    const auto body = m_taskd->post(QStringLiteral("/v1/tasks"),
                                    "{\"type\":\"" + QByteArray(1100 * 1024, 'a') + "\"}");
    QCOMPARE(body.status, 413);
    QCOMPARE(body.headers.value("content-type"), QByteArray("application/problem+json"));
    const auto headers = m_taskd->request("GET", QStringLiteral("/v1/health"), {},
                                          {{"X-Big", QByteArray(70 * 1024, 'h')}});
    QCOMPARE(headers.status, 431);
    QCOMPARE(m_taskd->get(QStringLiteral("/v1/health")).status, 200); // and it still serves
}

void TestTaskd::hugeBodyIsCutWithoutBuffering()
{
    // A client announces and streams 1 GiB. The service must answer 413 and drop the
    // connection long before, holding no more than about one request's cap in memory.
    const auto peakKiB = [&] { return peakRssKiB(m_taskd->pid()); };
    const qint64 before = peakKiB();
    QTcpSocket s;
    s.connectToHost(QHostAddress::LocalHost, m_taskd->port);
    QVERIFY(s.waitForConnected(5000));
    s.write("POST /v1/tasks HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer test-token-123\r\n"
            "Content-Type: application/json\r\nContent-Length: 1073741824\r\n\r\n");
    const QByteArray chunk(256 * 1024, ' ');
    QByteArray answer;
    qint64 sent = 0;
    QDeadlineTimer deadline(20'000);
    while (s.state() == QAbstractSocket::ConnectedState && sent < (1LL << 30) &&
           !deadline.hasExpired()) {
        if (s.bytesToWrite() < 1024 * 1024) {
            s.write(chunk);
            sent += chunk.size();
        }
        s.waitForBytesWritten(50);
        answer += s.readAll();
    }
    s.waitForReadyRead(1000);
    answer += s.readAll();
    qInfo("sent %lld MiB before the service hung up; its peak RSS grew %lld MiB", sent >> 20,
          (peakKiB() - before) >> 10);
    QVERIFY2(sent < (64LL << 20), qPrintable(QString::number(sent)));
    QVERIFY2(answer.startsWith("HTTP/1.1 413"), answer.left(200).constData());
    QVERIFY(peakKiB() - before < 48 * 1024);
    QCOMPARE(m_taskd->get(QStringLiteral("/v1/health")).status, 200);
}

void TestTaskd::journalSurvivesKill()
{
    QTemporaryDir dir;
    const QString state = dir.filePath(QStringLiteral("taskd.jsonl"));
    // Attempts hang until their deadline: one is running at the kill.
    const QByteArray hanging = R"({"default":{"hang":1.0}})";
    auto taskd = std::make_unique<TaskdProcess>(QStringList{QStringLiteral("--state"), state});
    QVERIFY(taskd->start(0, failingProfile()));
    const QString failed = taskd->createTask(QStringLiteral("j.fail"));
    QTRY_COMPARE_WITH_TIMEOUT(taskd->task(failed).value(QStringLiteral("state")).toString(),
                              QStringLiteral("failed"), 5000);
    const QString path = QStringLiteral("/v1/tasks/") + failed + QStringLiteral("/attempts");
    const QByteArray version =
        '"' + QByteArray::number(taskd->task(failed).value(QStringLiteral("version")).toInt()) +
        '"';
    taskd->setProfile(hanging);
    const auto first = taskd->post(path, R"({"reason":"operator"})",
                                   {{"Idempotency-Key", "k-journal"}, {"If-Match", version}});
    QCOMPARE(first.status, 202);
    const QString running = taskd->createTask(QStringLiteral("j.run"));
    const quint16 port = taskd->port;
    taskd.reset(); // SIGKILL
    // A torn last line, as a kill in the middle of a write would leave.
    {
        QFile f(state);
        QVERIFY(f.open(QIODevice::Append));
        f.write(R"({"key":"task:torn","task":{"id":)");
    }
    taskd = std::make_unique<TaskdProcess>(QStringList{QStringLiteral("--state"), state});
    QVERIFY(taskd->start(port, failingProfile()));
    // Both tasks are back; their attempts that were running ended as interrupted.
    for (const QString &id : {failed, running}) {
        const QJsonObject t = taskd->task(id);
        QCOMPARE(t.value(QStringLiteral("state")).toString(), QStringLiteral("failed"));
        const QJsonObject last = t.value(QStringLiteral("lastAttempt")).toObject();
        QCOMPARE(last.value(QStringLiteral("httpStatus")).toInt(), 503);
        QCOMPARE(last.value(QStringLiteral("problem")).toObject().value(QStringLiteral("type")),
                 QStringLiteral("urn:rebound:problem:interrupted"));
    }
    QCOMPARE(taskd->attempts(failed).size(), 2);
    QCOMPARE(taskd->attempts(running).size(), 1);
    // The client that never saw the answer sends the same request again: replayed, not repeated.
    const auto replay = taskd->post(path, R"({"reason":"operator"})",
                                    {{"Idempotency-Key", "k-journal"}, {"If-Match", version}});
    QCOMPARE(replay.status, 202);
    QCOMPARE(replay.body, first.body);
    QCOMPARE(replay.headers.value("idempotent-replayed"), QByteArray("true"));
    QCOMPARE(taskd->attempts(failed).size(), 2);
    QCOMPARE(taskd->get(QStringLiteral("/v1/tasks/torn")).status, 404);
    // The journal was compacted at start: one line per task and key, no torn tail.
    QFile f(state);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QList<QByteArray> lines = f.readAll().split('\n');
    for (const QByteArray &l : lines)
        QVERIFY(l.isEmpty() || QJsonDocument::fromJson(l).isObject());
}

void TestTaskd::servesHttps()
{
    TaskdProcess taskd(
        {QStringLiteral("--tls-cert"), QStringLiteral(REBOUND_TEST_DATA "/tls/server.pem"),
         QStringLiteral("--tls-key"), QStringLiteral(REBOUND_TEST_DATA "/tls/server.key")});
    QVERIFY2(taskd.start(0, failingProfile()), qPrintable(taskd.error));
    QVERIFY(taskd.url.startsWith(QStringLiteral("https://127.0.0.1:")));
    QFile ca(QStringLiteral(REBOUND_TEST_DATA "/tls/server.pem"));
    QVERIFY(ca.open(QIODevice::ReadOnly));
    taskd.trust(QSslCertificate::fromData(ca.readAll(), QSsl::Pem));
    QVERIFY(!taskd.createTask(QStringLiteral("tls.x")).isEmpty());
    QCOMPARE(taskd.get(QStringLiteral("/v1/health")).status, 200);
}

QTEST_GUILESS_MAIN(TestTaskd)
#include "tst_taskd.moc"
