#include "FleetStatus.h"

#include "EtcdWire.h"

#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <memory>

namespace rebound {

void FleetStatus::read(EtcdWire &wire, const FleetKeys &keys,
                       std::function<void(Result<FleetSnapshot>)> done)
{
    wire.call(QStringLiteral("/v3/kv/range"),
              {{QStringLiteral("key"), EtcdCodec::base64(keys.policies())}},
              [&wire, keys, done](Result<QByteArray> policy) {
                  if (!policy)
                      return done(policy.error());
                  wire.call(QStringLiteral("/v3/kv/range"),
                            {{QStringLiteral("key"), EtcdCodec::base64(keys.status())},
                             {QStringLiteral("range_end"),
                              EtcdCodec::base64(EtcdCodec::prefixEnd(keys.status()))}},
                            [keys, done, policy = *policy](Result<QByteArray> status) {
                                if (!status)
                                    return done(status.error());
                                done(fromRanges(keys, policy, *status));
                            });
              });
}

Result<FleetSnapshot> FleetStatus::fromRanges(const FleetKeys &keys, const QByteArray &policy,
                                              const QByteArray &status)
{
    const auto published = EtcdCodec::range(policy);
    if (!published)
        return published.error();
    const auto reports = EtcdCodec::range(status);
    if (!reports)
        return reports.error();
    FleetSnapshot s;
    if (!published->kvs.isEmpty())
        s.policyRevision = published->kvs.first().modRevision;
    const QByteArray suffix = "/policy";
    for (const EtcdKeyValue &kv : std::as_const(reports->kvs)) {
        // <prefix>/status/<member>/policy -> {"rev":N,"ok":bool,"error":"…"}
        const QByteArray rel = kv.key.mid(keys.status().size());
        if (!rel.endsWith(suffix) || rel.size() == suffix.size())
            continue;
        const QJsonObject ack = QJsonDocument::fromJson(kv.value).object();
        s.members.append({QString::fromUtf8(rel.chopped(suffix.size())),
                          ack.value(QStringLiteral("rev")).toInteger(),
                          ack.value(QStringLiteral("ok")).toBool(),
                          ack.value(QStringLiteral("error")).toString()});
    }
    std::sort(s.members.begin(), s.members.end(),
              [](const MemberAck &a, const MemberAck &b) { return a.member < b.member; });
    return s;
}

} // namespace rebound
