#pragma once

#include "telemetry/OtlpSpan.h"

#include <QObject>
#include <QUrl>

class QNetworkAccessManager;
class QTimer;

namespace rebound {

/// Sends spans to an OpenTelemetry collector as OTLP/HTTP with the JSON encoding
/// (`POST <endpoint>/v1/traces`). No OpenTelemetry C++ SDK is packaged in Debian 12, and this
/// is all Rebound needs of one: a bounded queue, batches, one request at a time. Nothing
/// waits on the collector: when it is down or slow, spans past the queue's bound are dropped
/// and counted, and a batch it refuses is dropped and counted.
class OtlpExporter final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(OtlpExporter)

public:
    static constexpr qsizetype kMaxQueued = 2048;
    static constexpr qsizetype kBatch = 256;

    /// `endpoint`: the collector's base URL (http://127.0.0.1:4318); `/v1/traces` is added
    /// unless the path already ends with it. `resource`: service.name, service.version, ….
    OtlpExporter(const QUrl &endpoint, OtlpSpan::Attributes resource, QObject *parent = nullptr);
    ~OtlpExporter() override;

    void add(OtlpSpan span);
    /// Sends what is queued (one batch; the rest follows when it is answered).
    void flush();

    quint64 exported() const { return m_exported; }
    quint64 dropped() const { return m_dropped; }
    qsizetype queued() const { return m_queue.size(); }
    bool inFlight() const { return m_inFlight; }
    QUrl url() const { return m_url; }

    /// The request body for `spans` (ExportTraceServiceRequest in OTLP's JSON mapping).
    static QByteArray encode(const QList<OtlpSpan> &spans, const OtlpSpan::Attributes &resource);

private:
    QUrl m_url;
    OtlpSpan::Attributes m_resource;
    QNetworkAccessManager *m_network;
    QTimer *m_tick;
    QList<OtlpSpan> m_queue;
    bool m_inFlight = false;
    quint64 m_exported = 0;
    quint64 m_dropped = 0;
};

} // namespace rebound
