#pragma once

#include "support/Result.h"

#include <QHostAddress>
#include <QObject>

#include <functional>

class QTcpServer;
class QTcpSocket;

namespace rebound {

/// Serves `GET /metrics` (Prometheus text) over plain HTTP/1.1, one answer per connection.
/// Small on purpose: a scrape is one request every few seconds from a trusted collector, so a
/// request line and headers of at most 8 KiB, read within 5 s, are all it accepts.
class MetricsServer final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MetricsServer)

public:
    using Render = std::function<QByteArray()>;
    MetricsServer(Render render, QObject *parent = nullptr);
    ~MetricsServer() override;

    /// "PORT", ":PORT" or "HOST:PORT" ("[::1]:PORT" for IPv6); no host means 127.0.0.1, port
    /// 0 any free one (port() says which).
    static Result<QPair<QHostAddress, quint16>> parseListen(const QString &text);
    Result<void> listen(const QHostAddress &address, quint16 port);
    quint16 port() const;

private:
    void onConnection();
    void answer(QTcpSocket *socket);

    Render m_render;
    QTcpServer *m_server;
};

} // namespace rebound
