#include "fleet/FleetStatus.h"

#include "fleet/EtcdWire.h"

#include <QJsonDocument>
#include <QJsonArray>
#include <QJsonObject>

#include <algorithm>
#include <memory>

namespace rebound {

namespace {

/// Asks etcd for the time left on each registered member's lease, one after another.
void readLeases(EtcdWire &wire, std::shared_ptr<FleetSnapshot> s, qsizetype i,
                std::function<void(Result<FleetSnapshot>)> done)
{
    while (i < s->members.size() && s->members[i].lease == 0)
        ++i;
    if (i >= s->members.size())
        return done(*s);
    wire.call(QStringLiteral("/v3/lease/timetolive"),
              {{QStringLiteral("ID"), EtcdCodec::int64Text(s->members[i].lease)}},
              [&wire, s, i, done](Result<QByteArray> answer) {
                  if (!answer)
                      return done(answer.error());
                  const auto o = EtcdCodec::object(*answer, QStringLiteral("lease timetolive"));
                  const auto ttl = o ? EtcdCodec::int64(*o, QStringLiteral("TTL"),
                                                        QStringLiteral("lease timetolive"))
                                     : Result<std::int64_t>(o.error());
                  if (!ttl)
                      return done(ttl.error());
                  s->members[i].leaseTtl = *ttl; // -1: expired meanwhile
                  readLeases(wire, s, i + 1, done);
              });
}

} // namespace

void FleetStatus::read(EtcdWire &wire, const FleetKeys &keys,
                       std::function<void(Result<FleetSnapshot>)> done)
{
    const QByteArray all = keys.prefix() + '/';
    wire.call(QStringLiteral("/v3/kv/range"),
              {{QStringLiteral("key"), EtcdCodec::base64(all)},
               {QStringLiteral("range_end"), EtcdCodec::base64(EtcdCodec::prefixEnd(all))}},
              [&wire, keys, done](Result<QByteArray> range) {
                  if (!range)
                      return done(range.error());
                  auto s = fromRange(keys, *range);
                  if (!s)
                      return done(s.error());
                  readLeases(wire, std::make_shared<FleetSnapshot>(*s), 0, done);
              });
}

Result<FleetSnapshot> FleetStatus::fromRange(const FleetKeys &keys, const QByteArray &range)
{
    const auto r = EtcdCodec::range(range);
    if (!r)
        return r.error();
    FleetSnapshot s;
    QMap<QString, MemberStatus> members;
    const auto member = [&](const QString &id) -> MemberStatus & {
        MemberStatus &m = members[id];
        m.member = id;
        return m;
    };
    const QByteArray suffix = "/policy";
    for (const EtcdKeyValue &kv : std::as_const(r->kvs)) {
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
