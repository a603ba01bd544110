#pragma once

#include "remote/EndpointConfig.h"
#include "remote/WatchChannel.h"

#include <QObject>

class QWebSocket;

namespace rebound {

/// WatchChannel over Qt WebSockets: `ws(s)://<endpoint>/v1/watch` with the endpoint's bearer
/// token in the upgrade request, its trust anchors for wss, and a cap on message size (the
/// same as the endpoint's body cap). The upgrade carries `traceparent` like every other request.
class WebSocketWatch final : public QObject, public WatchChannel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(WebSocketWatch)

public:
    /// `traceparent`: the W3C trace context header of the upgrade request.
    WebSocketWatch(const EndpointConfig &config, QByteArray traceparent, QObject *parent = nullptr);
    ~WebSocketWatch() override;

    void open(Handlers handlers) override;
    void send(const QByteArray &message) override;
    std::int64_t bytesReceived() const override { return m_bytes; }

    /// The watch URL of an endpoint (http → ws, https → wss, base path kept).
    static QUrl watchUrl(const QUrl &baseUrl);

private:
    void finish(const QString &why);

    EndpointConfig m_config;
    QByteArray m_traceparent;
    QWebSocket *m_socket = nullptr;
    Handlers m_handlers;
    std::int64_t m_bytes = 0;
    bool m_done = false;
};

} // namespace rebound
