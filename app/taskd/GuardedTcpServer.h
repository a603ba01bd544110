#pragma once

#include <QTcpServer>

namespace rebound::taskd {

/// A QTcpServer whose connections are cut, with a 413, once a client has sent more than `limit`
/// bytes without getting an answer. QHttpServer buffers a whole request before the service sees
/// it, so without this a 10 GB body would be held in memory only to be refused afterwards.
class GuardedTcpServer final : public QTcpServer
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(GuardedTcpServer)

public:
    explicit GuardedTcpServer(qint64 limit, QObject *parent = nullptr);

    /// Puts the same guard on a socket made elsewhere (e.g. by QSslServer). Must run before
    /// QHttpServer connects to the socket, so that this guard sees each chunk first.
    static void guard(QTcpSocket *socket, qint64 limit);

protected:
    void incomingConnection(qintptr descriptor) override;

private:
    qint64 m_limit;
};

} // namespace rebound::taskd
