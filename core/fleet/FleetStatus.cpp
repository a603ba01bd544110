#include "fleet/FleetStatus.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <memory>

namespace rebound {

namespace {

/// Asks the store for the time left on each registered member's lease, one after another.
void readLeases(CoordinationStore &store, std::shared_ptr<FleetSnapshot> s, qsizetype i,
                std::function<void(Result<FleetSnapshot>)> done)
{
    while (i < s->members.size() && s->members[i].lease == 0)
        ++i;
    if (i >= s->members.size())
        return done(*s);
    store.timeToLive(s->members[i].lease, [&store, s, i, done](Result<Duration> ttl) {
        if (!ttl)
            return done(ttl.error());
        s->members[i].leaseTtl = ttl->count() < 0 ? -1 : ttl->count() / 1000; // -1: expired
        readLeases(store, s, i + 1, done);
    });
}

} // namespace

void FleetStatus::read(CoordinationStore &store, const FleetKeys &keys,
                       std::function<void(Result<FleetSnapshot>)> done)
{
    const QByteArray all = keys.prefix() + '/';
    store.range(
        all, CoordinationStore::prefixEnd(all), 0, [&store, keys, done](Result<KeyRange> range) {
            if (!range)
                return done(range.error());
            readLeases(store, std::make_shared<FleetSnapshot>(fromRange(keys, *range)), 0, done);
        });
}

FleetSnapshot FleetStatus::fromRange(const FleetKeys &keys, const KeyRange &range)
{
    FleetSnapshot s;
    QMap<QString, MemberStatus> members;
    const auto member = [&](const QString &id) -> MemberStatus & {
        MemberStatus &m = members[id];
        m.member = id;
        return m;
    };
    const QByteArray suffix = "/policy";
    for (const StoredKey &kv : range.kvs) {
        if (kv.key == keys.policies()) {
            s.policyRevision = kv.modRevision;
        } else if (kv.key.startsWith(keys.status())) {
            // <prefix>/status/<member>/policy -> {"rev":N,"ok":bool,"error":"…"}
            const QByteArray rel = kv.key.mid(keys.status().size());
            const QByteArray budgetSuffix = "/budget";
            if (rel.endsWith(budgetSuffix) && rel.size() > budgetSuffix.size()) {
                // <prefix>/status/<member>/budget -> {"mode":…,"divisor":N,"cause":"…"}
                const QJsonObject b = QJsonDocument::fromJson(kv.value).object();
                MemberStatus &m = member(QString::fromUtf8(rel.chopped(budgetSuffix.size())));
                // "shared" is how members before 0.1.1 spelled "redis": a rolling upgrade
                // reads both.
                const QString mode = b.value(QStringLiteral("mode")).toString();
                m.budget = mode == QLatin1String("redis") || mode == QLatin1String("shared")
                               ? QStringLiteral("redis")
                               : QStringLiteral("local 1/%1")
                                     .arg(b.value(QStringLiteral("divisor")).toInt(1));
                m.budgetCause = b.value(QStringLiteral("cause")).toString();
                continue;
            }
            if (!rel.endsWith(suffix) || rel.size() == suffix.size())
                continue;
            const QJsonObject ack = QJsonDocument::fromJson(kv.value).object();
            MemberStatus &m = member(QString::fromUtf8(rel.chopped(suffix.size())));
            m.revision = ack.value(QStringLiteral("rev")).toInteger();
            m.ok = ack.value(QStringLiteral("ok")).toBool();
            m.error = ack.value(QStringLiteral("error")).toString();
        } else if (kv.key.startsWith(keys.members())) {
            const QByteArray id = kv.key.mid(keys.members().size());
            if (id.isEmpty())
                continue;
            MemberStatus &m = member(QString::fromUtf8(id));
            m.registered = true;
            m.lease = kv.lease;
            for (const QJsonValue v : QJsonDocument::fromJson(kv.value)
                                          .object()
                                          .value(QStringLiteral("endpoints"))
                                          .toArray())
                m.endpoints << v.toString();
            m.endpoints.sort();
        } else if (kv.key.startsWith(keys.shards()) && !kv.value.isEmpty()) {
            ++member(QString::fromUtf8(kv.value)).shards;
            ++s.claimedShards;
        }
    }
    s.members = members.values(); // QMap: ordered by member id
    return s;
}

} // namespace rebound
