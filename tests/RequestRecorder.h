#pragma once

// Test helper: a bare HTTP listener on a loopback port, written here rather than by Rebound's
// own server: it records every request as it arrives on the socket and answers each with an
// empty 404 problem. What it records is what any foreign server would see.
#include <QHash>
#include <QObject>
#include <QTcpServer>
#include <QTcpSocket>

class RequestRecorder final : public QObject
{
public:
    RequestRecorder()
    {
        m_server.listen(QHostAddress::LocalHost, 0);
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *s = m_server.nextPendingConnection()) {
                connect(s, &QTcpSocket::readyRead, s, [this, s] {
                    m_buffers[s] += s->readAll();
                    QByteArray &b = m_buffers[s];
                    qsizetype end;
                    while ((end = b.indexOf("\r\n\r\n")) >= 0) {
                        const QByteArray head = b.left(end);
                        qsizetype length = 0;
                        for (const QByteArray &line : head.split('\n'))
                            if (line.toLower().startsWith("content-length:"))
                                length = line.mid(15).trimmed().toLongLong();
                        if (b.size() < end + 4 + length)
                            return;
                        lines << head.left(head.indexOf("\r\n"));
                        heads << head;
                        b.remove(0, end + 4 + length);
                        s->write("HTTP/1.1 404 Not Found\r\nContent-Type: "
                                 "application/problem+json\r\nContent-Length: 2\r\n\r\n{}");
                    }
                });
                connect(s, &QTcpSocket::disconnected, s, &QObject::deleteLater);
            }
        });
    }
    QString url() const { return QStringLiteral("http://127.0.0.1:%1").arg(m_server.serverPort()); }
    QList<QByteArray> lines; ///< request lines, e.g. "GET /v1/tasks/job%3A42 HTTP/1.1"
    QList<QByteArray> heads; ///< the whole request heads (request line and headers)

private:
    QTcpServer m_server;
    QHash<QTcpSocket *, QByteArray> m_buffers;
};

