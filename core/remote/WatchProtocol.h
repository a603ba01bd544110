#pragma once

#include "remote/RemoteTask.h"
#include "support/Result.h"

#include <QByteArray>
#include <QJsonArray>
#include <QList>
#include <QString>

namespace rebound {

/// The messages of `/v1/watch` (a WebSocket; resources/api/task-api.yaml describes them),
/// written and strictly read in one place for the service and the client.
///
/// Client → service: `{"op":"subscribe","since":CURSOR}`.
/// Service → client: `{"type":"changed","cursor":C,"tasks":[Task…]}` in commit order;
/// `{"type":"bookmark","cursor":C,"intervalMs":N}` at once after a subscribe and then every N ms
/// (heartbeat and resume point); `{"type":"resync"}` when the cursor is too old.
class WatchProtocol final
{
public:
    struct Subscribe
    {
        QString since; ///< empty: from now on
    };

    struct Event
    {
        enum class Kind
        {
            Changed,
            Bookmark,
            Resync
        };
        Kind kind = Kind::Bookmark;
        QString cursor;
        QList<RemoteTask> tasks;
        std::int64_t intervalMs = 0; ///< bookmarks: the promised heartbeat
        QString detail;              ///< resync: why
    };

    /// A message over this many bytes is refused by either side.
    static constexpr qsizetype kMaxClientMessageBytes = 16 * 1024;

    static QByteArray subscribe(const QString &since);
    static Result<Subscribe> decodeSubscribe(const QByteArray &message);

    static QByteArray changed(const QString &cursor, const QJsonArray &tasks);
    static QByteArray bookmark(const QString &cursor, std::int64_t intervalMs);
    static QByteArray resync(const QString &detail);
    static Result<Event> decodeEvent(const QByteArray &message);
};

} // namespace rebound
