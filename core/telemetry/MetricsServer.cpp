#include "telemetry/MetricsServer.h"

#include <QPointer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>

namespace rebound {

namespace {
constexpr qsizetype kMaxRequest = 8 * 1024;

void reply(QTcpSocket *socket, const char *status, const QByteArray &type, const QByteArray &body)
{
    socket->write(QByteArray("HTTP/1.1 ") + status + "\r\nContent-Type: " + type +
                  "\r\nContent-Length: " + QByteArray::number(body.size()) +
                  "\r\nConnection: close\r\n\r\n" + body);
    socket->disconnectFromHost();
}
} // namespace

MetricsServer::MetricsServer(Render render, QObject *parent)
    : QObject(parent), m_render(std::move(render)), m_server(new QTcpServer(this))
{
    connect(m_server, &QTcpServer::newConnection, this, &MetricsServer::onConnection);
}

MetricsServer::~MetricsServer() = default;

Result<QPair<QHostAddress, quint16>> MetricsServer::parseListen(const QString &text)
{
    const qsizetype colon = text.lastIndexOf(u':');
    QString host = colon < 0 ? QString() : text.first(colon);
    const QString portText = colon < 0 ? text : text.sliced(colon + 1);
    if (host.startsWith(u'[') && host.endsWith(u']'))
        host = host.sliced(1, host.size() - 2);
    bool ok = false;
    const uint port = portText.toUInt(&ok);
    if (!ok || port > 65535)
        return Error{QStringLiteral("metrics"),
                     QStringLiteral("%1: expected [HOST:]PORT with PORT in 0..65535 (0: any free "
                                    "port)")
                         .arg(text)};
    const QHostAddress address(host.isEmpty() ? QStringLiteral("127.0.0.1") : host);
    if (address.isNull())
        return Error{QStringLiteral("metrics"),
                     QStringLiteral("%1: %2 is not an IP address").arg(text, host)};
    return QPair<QHostAddress, quint16>{address, quint16(port)};
}

Result<void> MetricsServer::listen(const QHostAddress &address, quint16 port)
{
    if (!m_server->listen(address, port))
        return Error{QStringLiteral("metrics"), QStringLiteral("cannot listen on %1:%2: %3")
                                                    .arg(address.toString())
                                                    .arg(port)
                                                    .arg(m_server->errorString())};
    return {};
}

quint16 MetricsServer::port() const
{
    return m_server->serverPort();
}

void MetricsServer::onConnection()
{
    while (QTcpSocket *socket = m_server->nextPendingConnection()) {
        connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        connect(socket, &QTcpSocket::readyRead, this, [this, socket] { answer(socket); });
        // A client that never finishes its request is dropped.
        QTimer::singleShot(5000, socket, [socket] { socket->abort(); });
    }
}

void MetricsServer::answer(QTcpSocket *socket)
{
    if (socket->property("answered").toBool())
        return;
    const QByteArray seen = socket->peek(kMaxRequest + 1);
    const qsizetype end = seen.indexOf("\r\n\r\n");
    if (end < 0) {
        if (seen.size() > kMaxRequest) {
            socket->setProperty("answered", true);
            reply(socket, "431 Request Header Fields Too Large", "text/plain", "too large\n");
        }
        return; // the rest of the request is still on its way
    }
    socket->setProperty("answered", true);
    const QList<QByteArray> requestLine = seen.left(seen.indexOf("\r\n")).split(' ');
    if (requestLine.size() != 3 || !requestLine[2].startsWith("HTTP/1.")) {
        reply(socket, "400 Bad Request", "text/plain", "bad request\n");
        return;
    }
    const QByteArray &target = requestLine[1];
    const QByteArray path = target.contains('?') ? target.first(target.indexOf('?')) : target;
    if (path != "/metrics") {
        reply(socket, "404 Not Found", "text/plain", "only /metrics here\n");
        return;
    }
    if (requestLine[0] != "GET") {
        reply(socket, "405 Method Not Allowed", "text/plain", "GET only\n");
        return;
    }
    reply(socket, "200 OK", "text/plain; version=0.0.4; charset=utf-8", m_render());
}

} // namespace rebound
