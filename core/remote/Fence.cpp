#include "remote/Fence.h"

#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <cmath>

namespace rebound {

namespace {

bool digitsOnly(const QByteArray &s)
{
    return !s.isEmpty() && s.size() <= 19 &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

} // namespace

Result<Fence> Fence::parse(const QByteArray &text)
{
    const qsizetype colon = text.indexOf(':');
    const QByteArray shard = colon < 0 ? QByteArray() : text.left(colon);
    const QByteArray revision = colon < 0 ? QByteArray() : text.mid(colon + 1);
    bool shardOk = false;
    bool revisionOk = false;
    const int s = digitsOnly(shard) ? shard.toInt(&shardOk) : 0;
    const qlonglong r = digitsOnly(revision) ? revision.toLongLong(&revisionOk) : 0;
    if (!shardOk || !revisionOk || s > kMaxShard || r < 1)
        return Error{QStringLiteral("bad-fence"),
                     QStringLiteral("%1: expected <shard>:<revision> (shard 0…%2, revision ≥ 1), "
                                    "got \"%3\"")
                         .arg(QLatin1String(kHeader))
                         .arg(kMaxShard)
                         .arg(QString::fromLatin1(text.left(64)))};
    return Fence{s, std::int64_t(r)};
}

QByteArray Fence::announcement() const
{
    return QJsonDocument(QJsonObject{{QStringLiteral("shard"), shard},
                                     {QStringLiteral("revision"), qint64(revision)}})
        .toJson(QJsonDocument::Compact);
}

Result<Fence> Fence::fromAnnouncement(const QByteArray &json)
{
    const QJsonDocument doc = QJsonDocument::fromJson(json);
    const QJsonObject o = doc.object();
    // Whole numbers JSON can carry exactly (2^53 − 1 at most, as the contract says).
    const auto whole = [&o](const char *field, double low, double high) -> std::optional<qint64> {
        const QJsonValue v = o.value(QLatin1String(field));
        const double d = v.toDouble(-1);
        if (!v.isDouble() || d != std::floor(d) || d < low || d > high)
            return std::nullopt;
        return qint64(d);
    };
    if (!doc.isObject())
        return Error{QStringLiteral("bad-fence"),
                     QStringLiteral("fence announcement: expected a JSON object")};
    const auto s = whole("shard", 0, kMaxShard);
    if (!s)
        return Error{QStringLiteral("bad-fence"),
                     QStringLiteral("fence announcement: shard: expected an integer 0…%1")
                         .arg(kMaxShard)};
    const auto r = whole("revision", 1, 9007199254740991.0);
    if (!r)
        return Error{QStringLiteral("bad-fence"),
                     QStringLiteral("fence announcement: revision: expected an integer ≥ 1")};
    return Fence{int(*s), *r};
}

} // namespace rebound
