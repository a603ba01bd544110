#include "telemetry/OtlpExporter.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QTimer>

namespace rebound {

namespace {

QJsonObject anyValue(const QVariant &v)
{
    // OTLP JSON: int64 as a decimal string; the type is the key.
    switch (v.typeId()) {
    case QMetaType::Bool:
        return {{QStringLiteral("boolValue"), v.toBool()}};
    case QMetaType::Int:
    case QMetaType::LongLong:
    case QMetaType::UInt:
    case QMetaType::ULongLong:
        return {{QStringLiteral("intValue"), QString::number(v.toLongLong())}};
    case QMetaType::Double:
        return {{QStringLiteral("doubleValue"), v.toDouble()}};
    default:
        return {{QStringLiteral("stringValue"), v.toString()}};
    }
}

QJsonArray attributes(const OtlpSpan::Attributes &attrs)
{
    QJsonArray out;
    for (const auto &[key, value] : attrs)
        out.append(
            QJsonObject{{QStringLiteral("key"), key}, {QStringLiteral("value"), anyValue(value)}});
    return out;
}

} // namespace

OtlpExporter::OtlpExporter(const QUrl &endpoint, OtlpSpan::Attributes resource, QObject *parent)
    : QObject(parent), m_url(endpoint), m_resource(std::move(resource)),
      m_network(new QNetworkAccessManager(this)), m_tick(new QTimer(this))
{
    if (!m_url.path().endsWith(QLatin1String("/v1/traces"))) {
        QString path = m_url.path();
        while (path.endsWith(u'/'))
            path.chop(1);
        m_url.setPath(path + QStringLiteral("/v1/traces"));
    }
    // At most a second between a span and its export.
    m_tick->setInterval(1000);
    connect(m_tick, &QTimer::timeout, this, &OtlpExporter::flush);
    m_tick->start();
}

OtlpExporter::~OtlpExporter() = default;

void OtlpExporter::add(OtlpSpan span)
{
    if (m_queue.size() >= kMaxQueued) {
        ++m_dropped;
        return;
    }
    m_queue.append(std::move(span));
    if (m_queue.size() >= kBatch)
        QTimer::singleShot(0, this, &OtlpExporter::flush);
}

void OtlpExporter::flush()
{
    if (m_inFlight || m_queue.isEmpty())
        return;
    const qsizetype n = std::min(m_queue.size(), kBatch);
    const QList<OtlpSpan> batch = m_queue.first(n);
    m_queue.remove(0, n);
    QNetworkRequest request(m_url);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
    request.setTransferTimeout(10'000);
    m_inFlight = true;
    QNetworkReply *reply = m_network->post(request, encode(batch, m_resource));
    connect(reply, &QNetworkReply::finished, this, [this, reply, n] {
        reply->deleteLater();
        m_inFlight = false;
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        if (reply->error() == QNetworkReply::NoError && status >= 200 && status < 300)
            m_exported += quint64(n);
        else
            m_dropped += quint64(n); // no retry: the next batch is as likely to fail
        if (m_queue.size() >= kBatch)
            flush();
    });
}

QByteArray OtlpExporter::encode(const QList<OtlpSpan> &spans, const OtlpSpan::Attributes &resource)
{
    QJsonArray out;
    for (const OtlpSpan &s : spans) {
        QJsonObject span{{QStringLiteral("traceId"), QString::fromLatin1(s.traceId)},
                         {QStringLiteral("spanId"), QString::fromLatin1(s.spanId)},
                         {QStringLiteral("name"), s.name},
                         {QStringLiteral("kind"), 1}, // SPAN_KIND_INTERNAL: Rebound watched it
                         {QStringLiteral("startTimeUnixNano"), QString::number(s.startUnixNano)},
                         {QStringLiteral("endTimeUnixNano"), QString::number(s.endUnixNano)},
                         {QStringLiteral("attributes"), attributes(s.attributes)}};
        QJsonArray events;
        for (const OtlpSpan::Event &e : s.events)
            events.append(
                QJsonObject{{QStringLiteral("timeUnixNano"), QString::number(e.timeUnixNano)},
                            {QStringLiteral("name"), e.name},
                            {QStringLiteral("attributes"), attributes(e.attributes)}});
        if (!events.isEmpty())
            span.insert(QStringLiteral("events"), events);
        QJsonObject status{{QStringLiteral("code"), int(s.status)}};
        if (!s.statusMessage.isEmpty())
            status.insert(QStringLiteral("message"), s.statusMessage);
        span.insert(QStringLiteral("status"), status);
        out.append(span);
    }
    const QJsonObject scope{{QStringLiteral("name"), QStringLiteral("rebound")}};
    const QJsonObject body{
        {QStringLiteral("resourceSpans"),
         QJsonArray{QJsonObject{{QStringLiteral("resource"),
                                 QJsonObject{{QStringLiteral("attributes"), attributes(resource)}}},
                                {QStringLiteral("scopeSpans"),
                                 QJsonArray{QJsonObject{{QStringLiteral("scope"), scope},
                                                        {QStringLiteral("spans"), out}}}}}}}};
    return QJsonDocument(body).toJson(QJsonDocument::Compact);
}

} // namespace rebound
