#pragma once

#include "fleet/RedisWire.h"

#include <QObject>
#include <QTimer>

#include <memory>

struct redisAsyncContext;

namespace rebound {

/// RedisWire on hiredis's asynchronous API, driven by the Qt event loop.
///
/// The event hooks are this class's own rather than hiredis 0.14's adapters/qt.h: that
/// adapter's destructor writes through the context pointer after hiredis may have freed it,
/// and its notifiers are deleted from inside their own signals. Here a connection's notifiers
/// are only disabled by hiredis's hooks and deleted when the next connection starts.
///
/// Connects on construction; after a refused connect or a dropped link it tries again after
/// 0.5 s, doubling to 5 s. With a password, AUTH is the first command of every connection.
class HiredisWire final : public QObject, public RedisWire
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HiredisWire)

public:
    HiredisWire(QString host, int port, QByteArray password = {}, QObject *parent = nullptr);
    ~HiredisWire() override;

    void command(const QList<QByteArray> &args, Answer done) override;
    bool isUp() const override { return m_up; }
    void setLinkListener(LinkListener listener) override { m_listener = std::move(listener); }
    QString address() const override;

    struct Connection; // one redisAsyncContext and its socket notifiers

private:
    void connectNow();
    void onConnected(int status);
    void onDisconnected(int status);
    void goDown(const QString &cause);
    void send(const QList<QByteArray> &args, Answer done);
    static void onReply(redisAsyncContext *ac, void *reply, void *privdata);
    static void connectCallback(const redisAsyncContext *ac, int status);
    static void disconnectCallback(const redisAsyncContext *ac, int status);

    QString m_host;
    int m_port;
    QByteArray m_password;
    std::unique_ptr<Connection> m_connection;
    std::unique_ptr<Connection> m_finished; ///< the last one hiredis freed, deleted on the next
    bool m_up = false;
    bool m_closing = false;
    int m_backoffMs = 500;
    QString m_cause;
    QTimer m_retry;
    LinkListener m_listener;
};

} // namespace rebound
