#pragma once

#include "support/Result.h"

#include <QByteArray>
#include <QJsonObject>
#include <QList>

#include <cstdint>
#include <optional>

namespace rebound {

/// One key as etcd holds it.
struct EtcdKeyValue
{
    QByteArray key;
    QByteArray value;
    std::int64_t createRevision = 0;
    std::int64_t modRevision = 0;
    std::int64_t lease = 0;
};

/// An answer to /v3/kv/range.
struct EtcdRange
{
    std::int64_t revision = 0; ///< the store's revision when it answered
    QList<EtcdKeyValue> kvs;
};

/// One message of a /v3/watch stream.
struct EtcdWatchMessage
{
    struct Event
    {
        bool deleted = false;
        EtcdKeyValue kv;
    };
    std::int64_t revision = 0;
    std::int64_t watchId = 0; ///< which watch of the stream (0 is omitted on the wire)
    bool created = false;
    bool canceled = false;
    std::int64_t compactRevision = 0; ///< set when canceled because the start was compacted
    QString cancelReason;
    QList<Event> events; ///< empty on a progress notification
};

/// Reads and writes etcd's JSON gateway (grpc-gateway) messages. Keys and values travel as
/// base64; int64 fields (revisions, lease IDs, which pass 2^53) travel as JSON strings and are
/// read as 64-bit integers, never through a double; fields at their default are omitted.
class EtcdCodec final
{
public:
    static QString base64(const QByteArray &bytes);
    /// The end of a prefix range: the prefix with its last byte incremented.
    static QByteArray prefixEnd(const QByteArray &prefix);
    static QString int64Text(std::int64_t v) { return QString::number(v); }

    /// `object[key]` as int64: absent is 0, a decimal string or an integral JSON number.
    static Result<std::int64_t> int64(const QJsonObject &object, const QString &key,
                                      const QString &where);
    static Result<EtcdKeyValue> keyValue(const QJsonObject &kv, const QString &where);
    static Result<EtcdRange> range(const QByteArray &body);
    /// One line of a watch stream: `{"result":{…}}`, or `{"error":{…}}` (an error value).
    static Result<EtcdWatchMessage> watchLine(const QByteArray &line);
    /// The header revision of any unary answer.
    static Result<std::int64_t> headerRevision(const QJsonObject &answer, const QString &where);
    /// A JSON object body, or an error saying where it was expected.
    static Result<QJsonObject> object(const QByteArray &body, const QString &where);
};

} // namespace rebound
