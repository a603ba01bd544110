#pragma once

#include <QByteArray>
#include <QString>

namespace rebound {

/// Where the fleet keeps what in etcd, under one prefix (default /rebound) — written once here
/// and used by the members, `reboundctl policy publish` and `reboundctl fleet status`.
class FleetKeys final
{
public:
    explicit FleetKeys(QByteArray prefix) : m_prefix(std::move(prefix))
    {
        while (m_prefix.endsWith('/'))
            m_prefix.chop(1);
    }
    QByteArray prefix() const { return m_prefix; }
    /// The policy document; its mod_revision is the policy version everywhere.
    QByteArray policies() const { return m_prefix + "/policies"; }
    /// Everything members report, per member.
    QByteArray status() const { return m_prefix + "/status/"; }
    /// A member's acknowledgement of the policies: {"rev":N,"ok":bool,"error":"…"}, lease-bound.
    QByteArray policyAck(const QString &member) const
    {
        return status() + member.toUtf8() + "/policy";
    }

    /// Where a member's retry rate limits are kept: {"mode":"redis"|"local","divisor":N,
    /// "cause":"…"}, lease-bound (members with Redis only).
    QByteArray budgetStatus(const QString &member) const
    {
        return status() + member.toUtf8() + "/budget";
    }

    /// Live members, one key each under the member's lease: {"member":"<id>","endpoints":[…]}
    /// (the endpoints it watches, as EndpointConfig::key spells them).
    QByteArray members() const { return m_prefix + "/members/"; }
    QByteArray member(const QString &id) const { return members() + id.toUtf8(); }
    /// Shard owners: the owner's id under its lease; the key's create_revision is the fence.
    QByteArray shards() const { return m_prefix + "/shards/"; }
    QByteArray shard(int n) const { return shards() + QByteArray::number(n); }

private:
    QByteArray m_prefix;
};

} // namespace rebound
