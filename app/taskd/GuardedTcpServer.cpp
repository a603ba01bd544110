#include "GuardedTcpServer.h"

#include <QTcpSocket>
#include <QTimer>

#include <sys/socket.h>

#include <memory>

namespace rebound::taskd {

GuardedTcpServer::GuardedTcpServer(qint64 limit, QObject *parent)
    : QTcpServer(parent), m_limit(limit)
{}

void GuardedTcpServer::incomingConnection(qintptr descriptor)
{
    auto *socket = new QTcpSocket(this);
    if (!socket->setSocketDescriptor(descriptor)) {
        delete socket;
        return;
    }
    guard(socket, m_limit);
    addPendingConnection(socket);
}

void GuardedTcpServer::guard(QTcpSocket *socket, qint64 limit)
{
    // Bytes received since the last answer went out. QHttpServer drains the socket on every
    // readyRead, so what is available here is what just arrived.
    auto received = std::make_shared<qint64>(0);
    QObject::connect(socket, &QTcpSocket::readyRead, socket, [socket, received, limit] {
        if (socket->property("rebound.cut").toBool()) {
            socket->readAll(); // lingering: drain and drop until the client goes or time is up
            return;
        }
        *received += socket->bytesAvailable();
        if (*received <= limit)
            return;
        socket->setProperty("rebound.cut", true);
        const QByteArray body =
            QByteArrayLiteral(
                R"({"type":"urn:rebound:problem:bad-request","title":"Request too large","status":413,"detail":"at most )") +
            QByteArray::number(limit) + QByteArrayLiteral(R"( bytes per request"})");
        socket->write("HTTP/1.1 413 Payload Too Large\r\nContent-Type: application/problem+json\r\n"
                      "Content-Length: " +
                      QByteArray::number(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
        socket->flush();
        socket->readAll(); // nothing more of this request reaches the HTTP parser
        // Half-close, then keep draining for a while: closing with unread data would send a
        // reset, and a reset makes the client's kernel drop the 413 before it is read.
        if (socket->socketDescriptor() >= 0)
            ::shutdown(static_cast<int>(socket->socketDescriptor()), SHUT_WR);
        QTimer::singleShot(2000, socket, [socket] { socket->abort(); });
    });
    QObject::connect(socket, &QTcpSocket::bytesWritten, socket, [received] { *received = 0; });
}

} // namespace rebound::taskd
