#include "fleet/HiredisWire.h"

#include <QSocketNotifier>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <vector>

namespace rebound {

struct HiredisWire::Connection
{
    explicit Connection(redisAsyncContext *context)
        : ac(context), read(context->c.fd, QSocketNotifier::Read),
          write(context->c.fd, QSocketNotifier::Write)
    {
        read.setEnabled(false);
        write.setEnabled(false);
    }
    redisAsyncContext *ac; ///< null once hiredis has freed it
    QSocketNotifier read;
    QSocketNotifier write;
};

namespace {

struct Pending
{
    HiredisWire *wire;
    RedisWire::Answer done;
};

using Connection = HiredisWire::Connection;

// hiredis's event hooks: they only switch notifiers on and off (never delete one, since a hook
// may run inside that notifier's own signal).
void addRead(void *c)
{
    static_cast<Connection *>(c)->read.setEnabled(true);
}
void delRead(void *c)
{
    static_cast<Connection *>(c)->read.setEnabled(false);
}
void addWrite(void *c)
{
    static_cast<Connection *>(c)->write.setEnabled(true);
}
void delWrite(void *c)
{
    static_cast<Connection *>(c)->write.setEnabled(false);
}
void cleanup(void *c)
{
    auto *conn = static_cast<Connection *>(c);
    conn->read.setEnabled(false);
    conn->write.setEnabled(false);
    conn->ac = nullptr; // hiredis frees the context after this
}

RedisReply copyOf(const redisReply *r)
{
    RedisReply out;
    switch (r->type) {
    case REDIS_REPLY_STRING:
        out.type = RedisReply::Type::String;
        out.text = QByteArray(r->str, qsizetype(r->len));
        break;
    case REDIS_REPLY_STATUS:
        out.type = RedisReply::Type::Status;
        out.text = QByteArray(r->str, qsizetype(r->len));
        break;
    case REDIS_REPLY_ERROR:
        out.type = RedisReply::Type::Error;
        out.text = QByteArray(r->str, qsizetype(r->len));
        break;
    case REDIS_REPLY_INTEGER:
        out.type = RedisReply::Type::Integer;
        out.integer = r->integer;
        break;
    case REDIS_REPLY_ARRAY:
        out.type = RedisReply::Type::Array;
        for (size_t i = 0; i < r->elements; ++i)
            out.elements.append(copyOf(r->element[i]));
        break;
    default:
        out.type = RedisReply::Type::Nil;
    }
    return out;
}

} // namespace

HiredisWire::HiredisWire(QString host, int port, QByteArray password, QObject *parent)
    : QObject(parent), m_host(std::move(host)), m_port(port), m_password(std::move(password))
{
    m_retry.setSingleShot(true);
    connect(&m_retry, &QTimer::timeout, this, &HiredisWire::connectNow);
    QTimer::singleShot(0, this, &HiredisWire::connectNow);
}

HiredisWire::~HiredisWire()
{
    m_closing = true; // pending answers are dropped: their owners are going away too
    if (m_connection && m_connection->ac)
        redisAsyncFree(m_connection->ac);
}

QString HiredisWire::address() const
{
    return QStringLiteral("redis://%1:%2").arg(m_host).arg(m_port);
}

void HiredisWire::connectNow()
{
    m_finished.reset();
    redisAsyncContext *ac = redisAsyncConnect(m_host.toUtf8().constData(), m_port);
    if (!ac || ac->err) {
        const QString why = ac ? QString::fromUtf8(ac->errstr) : QStringLiteral("out of memory");
        if (ac)
            redisAsyncFree(ac);
        goDown(why);
        return;
    }
    m_connection = std::make_unique<Connection>(ac);
    Connection *c = m_connection.get();
    connect(&c->read, &QSocketNotifier::activated, this, [c] {
        if (c->ac)
            redisAsyncHandleRead(c->ac);
    });
    connect(&c->write, &QSocketNotifier::activated, this, [c] {
        if (c->ac)
            redisAsyncHandleWrite(c->ac);
    });
    ac->data = this;
    ac->ev.data = c;
    ac->ev.addRead = addRead;
    ac->ev.delRead = delRead;
    ac->ev.addWrite = addWrite;
    ac->ev.delWrite = delWrite;
    ac->ev.cleanup = cleanup;
    redisAsyncSetConnectCallback(ac, &HiredisWire::connectCallback);
    redisAsyncSetDisconnectCallback(ac, &HiredisWire::disconnectCallback);
}

void HiredisWire::connectCallback(const redisAsyncContext *ac, int status)
{
    static_cast<HiredisWire *>(ac->data)->onConnected(status);
}

void HiredisWire::disconnectCallback(const redisAsyncContext *ac, int status)
{
    static_cast<HiredisWire *>(ac->data)->onDisconnected(status);
}

void HiredisWire::onConnected(int status)
{
    if (m_closing || !m_connection)
        return;
    if (status != REDIS_OK) {
        // hiredis frees the context when this returns; no disconnect callback follows.
        const QString why = m_connection->ac ? QString::fromUtf8(m_connection->ac->errstr)
                                             : QStringLiteral("connect failed");
        m_finished = std::move(m_connection);
        goDown(why);
        return;
    }
    const auto up = [this] {
        m_up = true;
        m_backoffMs = 500;
        m_cause.clear();
        if (m_listener)
            m_listener(true, {});
    };
    if (m_password.isEmpty()) {
        up();
        return;
    }
    send({QByteArrayLiteral("AUTH"), m_password}, [this, up](Result<RedisReply> r) {
        if (r && r->type != RedisReply::Type::Error) {
            up();
            return;
        }
        const QString why = r ? QStringLiteral("AUTH refused: %1").arg(QString::fromUtf8(r->text))
                              : r.error().message;
        goDown(why);
        if (m_connection && m_connection->ac)
            redisAsyncDisconnect(m_connection->ac);
    });
}

void HiredisWire::onDisconnected(int status)
{
    if (m_closing || !m_connection)
        return;
    const QString why = status == REDIS_OK ? QStringLiteral("the connection was closed")
                        : m_connection->ac ? QString::fromUtf8(m_connection->ac->errstr)
                                           : QStringLiteral("the connection dropped");
    m_finished = std::move(m_connection);
    goDown(m_cause.isEmpty() ? why : m_cause);
}

void HiredisWire::goDown(const QString &cause)
{
    const bool changed = m_up || m_cause != cause;
    m_up = false;
    m_cause = cause;
    if (!m_closing && !m_retry.isActive()) {
        m_retry.start(m_backoffMs);
        m_backoffMs = std::min(5000, m_backoffMs * 2);
    }
    if (changed && m_listener)
        m_listener(false, cause);
}

void HiredisWire::command(const QList<QByteArray> &args, Answer done)
{
    if (!m_up) {
        const QString why = QStringLiteral("redis at %1:%2 is not connected: %3")
                                .arg(m_host)
                                .arg(m_port)
                                .arg(m_cause.isEmpty() ? QStringLiteral("connecting") : m_cause);
        QTimer::singleShot(0, this, [done = std::move(done), why] {
            done(Error{QStringLiteral("redis-down"), why});
        });
        return;
    }
    send(args, std::move(done));
}

void HiredisWire::send(const QList<QByteArray> &args, Answer done)
{
    std::vector<const char *> argv;
    std::vector<size_t> lengths;
    for (const QByteArray &a : args) {
        argv.push_back(a.constData());
        lengths.push_back(size_t(a.size()));
    }
    auto *p = new Pending{this, std::move(done)};
    if (!m_connection || !m_connection->ac ||
        redisAsyncCommandArgv(m_connection->ac, &HiredisWire::onReply, p, int(argv.size()),
                              argv.data(), lengths.data()) != REDIS_OK) {
        QTimer::singleShot(0, this, [p, where = address()] {
            std::unique_ptr<Pending> owned(p);
            owned->done(Error{QStringLiteral("redis-down"),
                              QStringLiteral("%1: the link is closing").arg(where)});
        });
    }
}

void HiredisWire::onReply(redisAsyncContext *, void *reply, void *privdata)
{
    std::unique_ptr<Pending> p(static_cast<Pending *>(privdata));
    if (p->wire->m_closing)
        return;
    if (!reply) {
        p->done(
            Error{QStringLiteral("redis-down"),
                  QStringLiteral("%1: the link dropped before the reply").arg(p->wire->address())});
        return;
    }
    p->done(copyOf(static_cast<const redisReply *>(reply)));
}

} // namespace rebound
