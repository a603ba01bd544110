#pragma once

#include "fleet/CoordinationStore.h"
#include "support/Result.h"

#include <QByteArray>
#include <QJsonObject>
#include <QList>

#include <cstdint>
#include <optional>

namespace rebound {

/// Reads and writes etcd's JSON gateway (grpc-gateway) messages. Keys and values travel as
/// base64; int64 fields (revisions, lease IDs, which pass 2^53) travel as JSON strings and are
/// read as 64-bit integers, never through a double; fields at their default are omitted.
class EtcdCodec final
{
public:
    static QString base64(const QByteArray &bytes);
    static QString int64Text(std::int64_t v) { return QString::number(v); }

    /// `object[key]` as int64: absent is 0, a decimal string or an integral JSON number.
    static Result<std::int64_t> int64(const QJsonObject &object, const QString &key,
                                      const QString &where);
    static Result<StoredKey> keyValue(const QJsonObject &kv, const QString &where);
    static Result<KeyRange> range(const QByteArray &body);
    /// One line of a watch stream: `{"result":{…}}`, or `{"error":{…}}` (an error value).
    static Result<WatchMessage> watchLine(const QByteArray &line);
    /// The header revision of any unary answer.
    static Result<std::int64_t> headerRevision(const QJsonObject &answer, const QString &where);
    /// A JSON object body, or an error saying where it was expected.
    static Result<QJsonObject> object(const QByteArray &body, const QString &where);
};

} // namespace rebound
