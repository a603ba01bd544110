#pragma once

#include "fleet/FleetSession.h"
#include "fleet/FleetKeys.h"
#include "remote/Fence.h"

#include <QHash>
#include <QObject>
#include <QSet>

namespace rebound {

/// Work ownership in a fleet. Members register at <prefix>/members/<id> under their lease;
/// task keys (endpoint + task id) hash to S fixed shards; each shard's owner is chosen by
/// rendezvous hashing over the live members (a join or leave moves only the shards whose top
/// choice changed) and claimed with a transaction that succeeds only if nobody holds it:
/// If(CreateRevision(<prefix>/shards/<n>) == 0) Then Put(<id>, lease). The claim's
/// create_revision is the shard's fence, sent with every action the owner takes on its own.
///
/// A member owns a shard while etcd shows its claim under its current lease *and* its own
/// clock says the lease still holds (FleetSession::leaseHeld): a member cut off from etcd
/// stops acting on its shards when its lease would have expired, before etcd gives them away.
class ShardOwner final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ShardOwner)

public:
    static constexpr int kDefaultShards = 64;

    /// Registers its watches with `session`: construct before session.start().
    ShardOwner(FleetSession &session, const FleetKeys &keys, int shards = kDefaultShards,
               QObject *parent = nullptr);

    /// The shard of a task: FNV-1a 64 of "<endpoint>\n<task id>", modulo the shard count.
    static int shardOf(const QString &endpoint, const QString &taskId, int shards);
    /// Rendezvous (highest random weight) choice among `members`; empty when there are none.
    static QString ownerOf(int shard, const QStringList &members);

    /// The endpoints this member watches (EndpointConfig::key spellings), published with its
    /// registration so every member can tell whether the fleet watches the same set.
    void setEndpoints(const QStringList &endpoints);
    /// Why this member decides nothing for `endpoint` (empty: it decides its shards' tasks):
    /// a live member that watches endpoints, but not this one, spells it differently
    /// (`localhost` vs `127.0.0.1`) or does not watch it — its shards' tasks of that endpoint
    /// would be nobody's, or hashed twice.
    QString refusal(const QString &endpoint) const { return m_refused.value(endpoint); }
    /// Every refused endpoint of this member, with why.
    QHash<QString, QString> refusals() const { return m_refused; }
    /// The rule itself: for each of `mine`, why not (absent: fine), given what the other live
    /// members publish (a member that publishes none yet is not counted).
    static QHash<QString, QString> refusalsFor(const QStringList &mine,
                                               const QHash<QString, QStringList> &others);

    /// The fence for a task this member owns now; nothing when another member decides it.
    std::optional<Fence> fenceOf(const QString &endpoint, const QString &taskId) const;
    /// The member whose claim on the task's shard etcd shows (empty: unclaimed, moving).
    QString claimantOf(const QString &endpoint, const QString &taskId) const;
    /// A service refused `fence` as stale: stop acting on that shard and give it up.
    void dropShard(const Fence &fence);

    QStringList members() const;
    /// Each claimed shard's owner, as etcd shows it.
    QHash<int, QString> owners() const;
    /// The shards this member acts on now, ascending.
    QList<int> owned() const;
    /// Their fences.
    QList<Fence> ownedFences() const;
    /// Prometheus text (0.0.4) of this member's part in the fleet: its link to etcd, whether
    /// its lease holds by its own clock, the shards it acts on, the live members.
    QByteArray metricsText() const;

Q_SIGNALS:
    /// owned() changed.
    void ownershipChanged();
    /// Shards this member acts on from now (claimed, or held again under a new connection):
    /// their fences, for every endpoint to hear before the member acts there. Emitted before
    /// ownershipChanged().
    void shardsGained(const QList<Fence> &fences);

private:
    struct Claim
    {
        QString owner;
        std::int64_t createRevision = 0;
        std::int64_t lease = 0;
    };
    void onMembers(const QList<WatchMessage::Event> &events, bool reset);
    void onShards(const QList<WatchMessage::Event> &events, bool reset);
    void reconcile();
    void registerMember();
    void checkEndpoints();
    void release(int shard, std::int64_t createRevision);
    bool acts(int shard) const;
    void announce();

    FleetSession &m_session;
    FleetKeys m_keys;
    int m_shards;
    QString m_me;
    QSet<QString> m_members;
    QHash<QString, QStringList> m_endpointsOf; ///< what each live member publishes it watches
    QStringList m_endpoints;                   ///< this member's, sorted
    QHash<QString, QString> m_refused;         ///< endpoint -> why this member refuses it
    QHash<int, Claim> m_claims;
    QSet<int> m_claiming;
    QSet<int> m_releasing;
    QHash<int, std::int64_t> m_dropped; ///< shard -> the fence a service refused
    QList<int> m_announced;
};

} // namespace rebound
