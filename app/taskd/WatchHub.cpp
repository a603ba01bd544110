#include "WatchHub.h"

#include "remote/WatchProtocol.h"

#include <QTimer>
#include <QWebSocket>

namespace rebound::taskd {

namespace {
constexpr int kCloseGoingAway = 1001;
constexpr int kClosePolicy = 1008;
constexpr int kCloseUnsupported = 1003;
} // namespace

WatchHub::WatchHub(WatchOptions options, Feed feed, QObject *parent)
    : QObject(parent), m_options(options), m_feed(std::move(feed)), m_bookmarks(new QTimer(this))
{
    connect(m_bookmarks, &QTimer::timeout, this, &WatchHub::bookmarkAll);
    m_bookmarks->start(static_cast<int>(m_options.bookmarkMs));
}

WatchHub::~WatchHub()
{
    for (Connection &c : m_connections) {
        c.socket->disconnect(this);
        c.socket->close(QWebSocketProtocol::CloseCode(kCloseGoingAway),
                        QStringLiteral("service stopping"));
    }
}

int WatchHub::subscribed() const
{
    return static_cast<int>(std::count_if(m_connections.begin(), m_connections.end(),
                                          [](const Connection &c) { return c.subscribed; }));
}

void WatchHub::setSilent(bool silent)
{
    m_silent = silent;
    if (!silent)
        changed();
}

void WatchHub::adopt(QWebSocket *socket)
{
    socket->setParent(this);
    // Clients send one small message per subscription; nothing bigger is read.
    socket->setMaxAllowedIncomingMessageSize(WatchProtocol::kMaxClientMessageBytes);
    socket->setMaxAllowedIncomingFrameSize(WatchProtocol::kMaxClientMessageBytes);
    ++m_stats.connectionsTotal;
    Connection c;
    c.socket = socket;
    c.stall = new QTimer(socket);
    c.stall->setSingleShot(true);
    c.stall->setInterval(static_cast<int>(m_options.stallMs));
    m_connections.insert(socket, c);
    connect(c.stall, &QTimer::timeout, this, [this, socket] {
        const auto it = m_connections.find(socket);
        if (it == m_connections.end() || socket->bytesToWrite() <= m_options.highWaterBytes)
            return;
        closeWith(*it, kClosePolicy,
                  QStringLiteral("reader too slow: %1 bytes unsent for %2 ms")
                      .arg(socket->bytesToWrite())
                      .arg(m_options.stallMs),
                  QStringLiteral("slow"));
    });
    connect(socket, &QWebSocket::textMessageReceived, this,
            [this, socket](const QString &text) { onMessage(socket, text); });
    connect(socket, &QWebSocket::binaryMessageReceived, this, [this, socket] {
        if (const auto it = m_connections.find(socket); it != m_connections.end())
            closeWith(*it, kCloseUnsupported, QStringLiteral("binary messages are not part of "
                                                             "/v1/watch"),
                      QStringLiteral("protocol"));
    });
    connect(socket, &QWebSocket::bytesWritten, this, [this, socket] {
        const auto it = m_connections.find(socket);
        if (it == m_connections.end() || socket->bytesToWrite() > m_options.highWaterBytes)
            return;
        it->stall->stop();
        pump(*it);
    });
    // Queued: a write or an abort may disconnect at once, and the connection must outlive the
    // call that did it.
    connect(
        socket, &QWebSocket::disconnected, this,
        [this, socket] {
            const auto it = m_connections.find(socket);
            if (it != m_connections.end() && !it->closing)
                ++m_stats.closes[QStringLiteral("client")];
            forget(socket);
        },
        Qt::QueuedConnection);
}

void WatchHub::forget(QWebSocket *socket)
{
    if (m_connections.remove(socket))
        socket->deleteLater();
}

void WatchHub::closeWith(Connection &c, int code, const QString &reason, const QString &label)
{
    if (c.closing)
        return;
    c.closing = true;
    c.subscribed = false;
    ++m_stats.closes[label];
    QWebSocket *socket = c.socket;
    socket->close(QWebSocketProtocol::CloseCode(code), reason);
    // A reader that reads nothing will not read the close frame either.
    QTimer::singleShot(2000, socket, [this, socket] {
        socket->abort();
        forget(socket);
    });
}

void WatchHub::onMessage(QWebSocket *socket, const QString &text)
{
    const auto it = m_connections.find(socket);
    if (it == m_connections.end() || it->closing)
        return;
    Connection &c = *it;
    auto sub = WatchProtocol::decodeSubscribe(text.toUtf8());
    if (!sub) {
        closeWith(c, kClosePolicy, sub.error().message, QStringLiteral("protocol"));
        return;
    }
    if (c.subscribed) {
        closeWith(c, kClosePolicy, QStringLiteral("op: already subscribed on this connection"),
                  QStringLiteral("protocol"));
        return;
    }
    std::uint64_t from = m_feed.head();
    if (!sub->since.isEmpty()) {
        bool expired = false;
        const auto seq = m_feed.decode(sub->since, expired);
        if (!seq && !expired) {
            closeWith(c, kClosePolicy, QStringLiteral("since: not a cursor of this service"),
                      QStringLiteral("protocol"));
            return;
        }
        if (!seq) {
            // Too old: the client pages a full snapshot and may subscribe again here.
            if (!m_silent)
                write(c, WatchProtocol::resync(QStringLiteral("cursor expired")));
            return;
        }
        from = *seq;
    }
    c.subscribed = true;
    c.sent = from;
    pump(c);
    // The first bookmark says the subscription is live and how often to expect the next.
    if (c.subscribed && !m_silent)
        write(c, WatchProtocol::bookmark(QString::fromLatin1(m_feed.cursor(c.sent)),
                                         m_options.bookmarkMs));
}

void WatchHub::changed()
{
    if (m_flushQueued)
        return;
    m_flushQueued = true;
    // Everything one event-loop turn changes goes out as one message per connection.
    QMetaObject::invokeMethod(
        this,
        [this] {
            m_flushQueued = false;
            pumpAll();
        },
        Qt::QueuedConnection);
}

void WatchHub::pumpAll()
{
    // pump() may close (and so forget) a connection: walk a copy of the keys.
    const QList<QWebSocket *> sockets = m_connections.keys();
    for (QWebSocket *s : sockets) {
        const auto it = m_connections.find(s);
        if (it != m_connections.end())
            pump(*it);
    }
}

void WatchHub::write(Connection &c, const QByteArray &message)
{
    ++m_stats.messages;
    m_stats.bytes += quint64(message.size());
    c.socket->sendTextMessage(QString::fromUtf8(message));
    if (c.socket->bytesToWrite() > m_options.highWaterBytes && !c.stall->isActive())
        c.stall->start();
}

void WatchHub::pump(Connection &c)
{
    if (!c.subscribed || c.closing || m_silent)
        return;
    if (c.sent < m_feed.horizon()) {
        c.subscribed = false;
        write(c, WatchProtocol::resync(QStringLiteral("cursor expired")));
        return;
    }
    const std::uint64_t head = m_feed.head();
    while (c.sent < head && c.socket->bytesToWrite() <= m_options.highWaterBytes) {
        std::uint64_t last = c.sent;
        bool more = false;
        const QJsonArray tasks = m_feed.changes(c.sent, m_options.maxTasksPerEvent, last, more);
        const std::uint64_t upTo = more ? last : head;
        if (m_dropRate > 0 && m_unit && m_unit() < m_dropRate) {
            ++m_stats.closes[QStringLiteral("dropped")];
            c.closing = true;
            c.socket->abort(); // mid-stream, no close frame: as a broken network would
            return;
        }
        write(c, WatchProtocol::changed(QString::fromLatin1(m_feed.cursor(upTo)), tasks));
        c.sent = upTo;
    }
}

void WatchHub::bookmarkAll()
{
    if (m_silent)
        return;
    for (Connection &c : m_connections) {
        if (c.subscribed && !c.closing)
            write(c, WatchProtocol::bookmark(QString::fromLatin1(m_feed.cursor(c.sent)),
                                             m_options.bookmarkMs));
    }
}

} // namespace rebound::taskd
