#include "Fence.h"

#include <algorithm>

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

} // namespace rebound
