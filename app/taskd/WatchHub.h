#pragma once

#include <QHash>
#include <QJsonArray>
#include <QObject>

#include <cstdint>
#include <functional>
#include <optional>

class QTimer;
class QWebSocket;

namespace rebound::taskd {

struct WatchOptions
{
    std::int64_t bookmarkMs = 5000;       ///< heartbeat and resume point
    qint64 highWaterBytes = 1024 * 1024;  ///< unsent bytes per connection before it waits
    std::int64_t stallMs = 10'000;        ///< over the high-water mark this long: disconnected
    int maxTasksPerEvent = 500;
    int maxConnections = 64;
};

/// The service side of `/v1/watch`: every subscribed connection is sent the tasks changed after
/// its cursor, in commit order, straight from the store (a connection holds no copy of events,
/// only how far it got), a bookmark at once and then every bookmarkMs, and a resync when its
/// cursor has expired. Sending waits while a connection has more than highWaterBytes unsent,
/// so its queue is bounded; a reader that stays behind for stallMs is closed with a reason.
class WatchHub final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(WatchHub)

public:
    /// How the hub reads the store (TaskServer's sequence of changes).
    struct Feed
    {
        /// A client's cursor to a sequence number; nullopt when invalid (`expired` when it is a
        /// cursor of this service that is too old, or of an earlier run).
        std::function<std::optional<std::uint64_t>(const QString &cursor, bool &expired)> decode;
        std::function<QByteArray(std::uint64_t seq)> cursor;
        std::function<std::uint64_t()> head;    ///< sequence number of the last change
        std::function<std::uint64_t()> horizon; ///< cursors below this have expired
        /// Up to `limit` tasks changed after `since` in commit order; `last` is the sequence
        /// number of the last one returned, `more` whether others follow.
        std::function<QJsonArray(std::uint64_t since, int limit, std::uint64_t &last, bool &more)>
            changes;
    };

    struct Stats
    {
        quint64 connectionsTotal = 0;
        quint64 messages = 0;
        quint64 bytes = 0;
        QHash<QString, quint64> closes; ///< by reason: slow, protocol, dropped, client
    };

    WatchHub(WatchOptions options, Feed feed, QObject *parent = nullptr);
    ~WatchHub() override;

    /// Takes an upgraded connection (the upgrade request was already authorised).
    void adopt(QWebSocket *socket);
    /// The store moved on: send what changed (coalesced to the next event-loop turn).
    void changed();
    bool full() const { return m_connections.size() >= m_options.maxConnections; }
    int connections() const { return static_cast<int>(m_connections.size()); }
    int subscribed() const;
    const Stats &stats() const { return m_stats; }
    const WatchOptions &options() const { return m_options; }

    /// Fault switches: a changed message is replaced by a dropped TCP connection with this
    /// probability; while silent nothing at all is sent (a stalled stream).
    void setDropRate(double rate, std::function<double()> unit)
    {
        m_dropRate = rate;
        m_unit = std::move(unit);
    }
    void setSilent(bool silent);

private:
    struct Connection
    {
        QWebSocket *socket = nullptr;
        bool subscribed = false;
        std::uint64_t sent = 0; ///< the cursor this connection has been brought up to
        QTimer *stall = nullptr;
        bool closing = false;
    };

    void onMessage(QWebSocket *socket, const QString &text);
    void pump(Connection &c);
    void pumpAll();
    void bookmarkAll();
    void write(Connection &c, const QByteArray &message);
    void closeWith(Connection &c, int code, const QString &reason, const QString &label);
    void forget(QWebSocket *socket);

    WatchOptions m_options;
    Feed m_feed;
    QHash<QWebSocket *, Connection> m_connections;
    QTimer *m_bookmarks;
    bool m_flushQueued = false;
    bool m_silent = false;
    double m_dropRate = 0;
    std::function<double()> m_unit;
    Stats m_stats;
};

} // namespace rebound::taskd
