// Traces: the OTLP/HTTP JSON encoding (OtlpExporter::encode), the spans the engine makes of the
// attempts it sees end (AttemptTracer, on the real engine fed by ingest() on a manual clock),
// and the exporter against a receiver on a loopback port: batches, the collector down, the
// bounded queue.
#include "ManualEngine.h"
#include "engine/AttemptTracer.h"
#include "engine/Orchestrator.h"
#include "history/HistoryStore.h"
#include "policy/PolicyStore.h"
#include "telemetry/OtlpExporter.h"
#include "time/ManualClock.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

using namespace rebound;

namespace {

const QString kEndpoint = QStringLiteral("http://traces.test");
const QByteArray kPolicy =
    R"({"version":1,"policies":[{"name":"p","backoff":{"initialDelayMs":10000,"maxDelayMs":10000,)"
    R"("maxAttempts":3,"jitter":"none"},"breaker":{"windowSize":100000,"minimumNumberOfCalls":100000},)"
    R"("health":{"unhealthyScore":100},"budget":{"budgetPercent":0,"maxTokens":0,"ratePerSecond":0}}]})";

RemoteTask ended(const QString &id, AttemptOutcome outcome, const QString &traceId)
{
    RemoteTask t;
    t.id = id;
    t.type = QStringLiteral("sms.send");
    t.state = outcome == AttemptOutcome::Succeeded ? RemoteState::Succeeded : RemoteState::Failed;
    t.attempt = 1;
    t.version = 1;
    t.createdAtMs = 1'767'225'600'000;
    t.updatedAtMs = t.createdAtMs + 250;
    RemoteAttempt a;
    a.number = 1;
    a.startedAtMs = t.createdAtMs + 50;
    a.endedAtMs = t.updatedAtMs;
    a.durationMs = 200;
    a.outcome = outcome;
    if (outcome != AttemptOutcome::Succeeded)
        a.httpStatus = 503;
    a.traceId = traceId;
    t.lastAttempt = a;
    return t;
}

OtlpSpan span(int i)
{
    OtlpSpan s;
    s.traceId = QByteArray("0af7651916cd43dd8448eb211c80319c");
    s.spanId = QByteArray::number(0x1000000000000000LL + i, 16);
    s.name = QStringLiteral("rebound.attempt");
    s.startUnixNano = 1'767'225'600'050'000'000;
    s.endUnixNano = 1'767'225'600'250'000'000;
    s.attributes = {{QStringLiteral("rebound.attempt.number"), i}};
    return s;
}

/// A collector stand-in: takes POSTs, keeps their path and body, answers `status`.
class Receiver final : public QObject
{
public:
    explicit Receiver(int status = 200) : m_status(status)
    {
        m_server.listen(QHostAddress::LocalHost, 0);
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *s = m_server.nextPendingConnection()) {
                connect(s, &QTcpSocket::disconnected, s, &QObject::deleteLater);
                connect(s, &QTcpSocket::readyRead, this, [this, s] { read(s); });
            }
        });
    }
    QString url() const { return QStringLiteral("http://127.0.0.1:%1").arg(m_server.serverPort()); }
    QList<QPair<QByteArray, QByteArray>> requests; ///< (request line + headers, body)

private:
    void read(QTcpSocket *s)
    {
        QByteArray &buf = m_buffers[s];
        buf += s->readAll();
        const qsizetype end = buf.indexOf("\r\n\r\n");
        if (end < 0)
            return;
        const QByteArray head = buf.left(end);
        qsizetype length = 0;
        for (const QByteArray &line : head.split('\n'))
            if (line.toLower().startsWith("content-length:"))
                length = line.mid(15).trimmed().toLongLong();
        if (buf.size() < end + 4 + length)
            return;
        requests.append({head, buf.mid(end + 4, length)});
        buf.remove(0, end + 4 + length);
        s->write(QByteArray("HTTP/1.1 ") + QByteArray::number(m_status) +
                 " X\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}");
    }
    int m_status;
    QTcpServer m_server;
    QHash<QTcpSocket *, QByteArray> m_buffers;
};

int spansIn(const QByteArray &body)
{
    return int(QJsonDocument::fromJson(body)["resourceSpans"][0]["scopeSpans"][0]["spans"]
                   .toArray()
                   .size());
}

} // namespace

class TestOtlp final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void encodeFollowsOtlpJson();
    void spansJoinTheTaskTrace();
    void exporterDeliversInBatches();
    void collectorDownCostsOnlySpans();
};

void TestOtlp::encodeFollowsOtlpJson()
{
    OtlpSpan s = span(7);
    s.attributes.append({QStringLiteral("rebound.task.id"), QStringLiteral("t1")});
    s.attributes.append({QStringLiteral("ok"), true});
    s.events.append({1'767'225'600'300'000'000,
                     QStringLiteral("retry scheduled"),
                     {{QStringLiteral("rebound.delay_ms"), qint64(400)}}});
    s.status = OtlpSpan::Status::Error;
    s.statusMessage = QStringLiteral("HTTP 503");
    const QJsonObject body =
        QJsonDocument::fromJson(OtlpExporter::encode({s}, {{QStringLiteral("service.name"),
                                                            QStringLiteral("reboundctl")}}))
            .object();
    const QJsonObject rs = body["resourceSpans"][0].toObject();
    QCOMPARE(rs["resource"]["attributes"][0]["key"].toString(), QStringLiteral("service.name"));
    QCOMPARE(rs["resource"]["attributes"][0]["value"]["stringValue"].toString(),
             QStringLiteral("reboundctl"));
    QCOMPARE(rs["scopeSpans"][0]["scope"]["name"].toString(), QStringLiteral("rebound"));
    const QJsonObject j = rs["scopeSpans"][0]["spans"][0].toObject();
    // lowerCamelCase keys, hex ids, int64 as strings, enums as integers.
    QCOMPARE(j["traceId"].toString(), QStringLiteral("0af7651916cd43dd8448eb211c80319c"));
    QCOMPARE(j["spanId"].toString(), QStringLiteral("1000000000000007"));
    QCOMPARE(j["startTimeUnixNano"].toString(), QStringLiteral("1767225600050000000"));
    QCOMPARE(j["endTimeUnixNano"].toString(), QStringLiteral("1767225600250000000"));
    QCOMPARE(j["kind"].toInt(), 1);
    QVERIFY(j["kind"].isDouble());
    QCOMPARE(j["attributes"][0]["value"]["intValue"].toString(), QStringLiteral("7"));
    QCOMPARE(j["attributes"][1]["value"]["stringValue"].toString(), QStringLiteral("t1"));
    QCOMPARE(j["attributes"][2]["value"]["boolValue"].toBool(), true);
    QCOMPARE(j["events"][0]["timeUnixNano"].toString(), QStringLiteral("1767225600300000000"));
    QCOMPARE(j["events"][0]["attributes"][0]["value"]["intValue"].toString(),
             QStringLiteral("400"));
    QCOMPARE(j["status"]["code"].toInt(), 2);
    QCOMPARE(j["status"]["message"].toString(), QStringLiteral("HTTP 503"));
}

void TestOtlp::spansJoinTheTaskTrace()
{
    ManualEngine m(kPolicy, {}, 1'767'225'600'300);
    Orchestrator &orch = m.orchestrator();
    QList<OtlpSpan> spans;
    orch.setSpanSink([&spans](OtlpSpan s) { spans.append(std::move(s)); });
    orch.ingest(kEndpoint, {ended(QStringLiteral("failed"), AttemptOutcome::Failed,
                                  QStringLiteral("0AF7651916CD43DD8448EB211C80319C")),
                            ended(QStringLiteral("fine"), AttemptOutcome::Succeeded,
                                  QStringLiteral("4bf92f3577b34da6a3ce929d0e0e4736")),
                            ended(QStringLiteral("untraced"), AttemptOutcome::Failed, QString())});
    QCOMPARE(spans.size(), 3);
    const auto find = [&spans](const QString &id) -> const OtlpSpan * {
        for (const OtlpSpan &s : spans)
            for (const auto &[k, v] : s.attributes)
                if (k == QLatin1String("rebound.task.id") && v.toString() == id)
                    return &s;
        return nullptr;
    };
    const OtlpSpan *failed = find(QStringLiteral("failed"));
    QVERIFY(failed);
    // The service's trace (the traceparent Rebound sent), in OTLP's lowercase hex.
    QCOMPARE(failed->traceId, QByteArray("0af7651916cd43dd8448eb211c80319c"));
    QCOMPARE(failed->spanId.size(), 16);
    QCOMPARE(failed->startUnixNano, 1'767'225'600'050'000'000);
    QCOMPARE(failed->endUnixNano, 1'767'225'600'250'000'000);
    QCOMPARE(failed->status, OtlpSpan::Status::Error);
    QCOMPARE(failed->statusMessage, QStringLiteral("HTTP 503"));
    QCOMPARE(failed->events.size(), 1);
    QCOMPARE(failed->events[0].name, QStringLiteral("retry scheduled"));
    QVERIFY(failed->events[0].attributes.contains(
        QPair<QString, QVariant>(QStringLiteral("rebound.delay_ms"), qint64(10000))));
    QVERIFY(failed->attributes.contains(
        QPair<QString, QVariant>(QStringLiteral("http.response.status_code"), 503)));
    const OtlpSpan *fine = find(QStringLiteral("fine"));
    QVERIFY(fine);
    QCOMPARE(fine->traceId, QByteArray("4bf92f3577b34da6a3ce929d0e0e4736"));
    QCOMPARE(fine->status, OtlpSpan::Status::Ok);
    QVERIFY(fine->events.isEmpty());
    // No trace id from the service: one of the task's own, the same for each of its attempts.
    const OtlpSpan *untraced = find(QStringLiteral("untraced"));
    QVERIFY(untraced);
    QCOMPARE(untraced->traceId.size(), 32);
    QVERIFY(untraced->traceId != failed->traceId);
    QCOMPARE(untraced->spanId,
             AttemptTracer::spanIdFor(*orch.task(kEndpoint, QStringLiteral("untraced")), 1));
}

void TestOtlp::exporterDeliversInBatches()
{
    Receiver collector;
    OtlpExporter exporter(QUrl(collector.url()),
                          {{QStringLiteral("service.name"), QStringLiteral("rebound")}});
    QCOMPARE(exporter.url().path(), QStringLiteral("/v1/traces"));
    for (int i = 0; i < 300; ++i)
        exporter.add(span(i));
    exporter.flush();
    QTRY_COMPARE_WITH_TIMEOUT(exporter.exported(), quint64(300), 10'000);
    QCOMPARE(exporter.dropped(), quint64(0));
    // One request at a time, at most a batch each.
    QCOMPARE(collector.requests.size(), 2);
    QCOMPARE(spansIn(collector.requests[0].second), int(OtlpExporter::kBatch));
    QCOMPARE(spansIn(collector.requests[1].second), 300 - int(OtlpExporter::kBatch));
    QVERIFY(collector.requests[0].first.startsWith("POST /v1/traces HTTP/1.1"));
    QVERIFY(collector.requests[0].first.toLower().contains("content-type: application/json"));
}

void TestOtlp::collectorDownCostsOnlySpans()
{
    // A port nobody listens on: each batch is dropped and counted, nothing waits.
    quint16 port = 0;
    {
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        port = probe.serverPort();
    }
    OtlpExporter exporter(QUrl(QStringLiteral("http://127.0.0.1:%1").arg(port)), {});
    for (int i = 0; i < 10; ++i)
        exporter.add(span(i));
    exporter.flush();
    QTRY_COMPARE_WITH_TIMEOUT(exporter.dropped(), quint64(10), 10'000);
    // The queue is bounded: past kMaxQueued, spans are dropped on arrival.
    for (int i = 0; i < 3000; ++i)
        exporter.add(span(i));
    QCOMPARE(exporter.queued(), OtlpExporter::kMaxQueued);
    QCOMPARE(exporter.dropped(), quint64(10 + 3000 - OtlpExporter::kMaxQueued));
    // A collector that refuses (HTTP 500): the batch is dropped too, not retried.
    Receiver refusing(500);
    OtlpExporter refused(QUrl(refusing.url()), {});
    refused.add(span(1));
    refused.flush();
    QTRY_COMPARE_WITH_TIMEOUT(refused.dropped(), quint64(1), 10'000);
    QCOMPARE(refused.exported(), quint64(0));
}

QTEST_GUILESS_MAIN(TestOtlp)
#include "tst_otlp.moc"
