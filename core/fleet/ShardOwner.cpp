#include "fleet/ShardOwner.h"

#include "support/JsonLog.h"
#include "telemetry/PrometheusText.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>

namespace rebound {

namespace {

std::uint64_t fnv1a(const QByteArray &bytes)
{
    std::uint64_t h = 14695981039346656037ULL;
    for (char c : bytes) {
        h ^= static_cast<unsigned char>(c);
        h *= 1099511628211ULL;
    }
    return h;
}

// SplitMix64's finaliser: FNV alone spreads short, similar keys (member ids, shard numbers)
// poorly in the high bits the rendezvous comparison looks at.
std::uint64_t mix(std::uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

} // namespace

ShardOwner::ShardOwner(FleetSession &session, const FleetKeys &keys, int shards, QObject *parent)
    : QObject(parent), m_session(session), m_keys(keys), m_shards(std::max(1, shards)),
      m_me(session.config().member)
{
    // Events apply in their order: one message can carry a key's DELETE and its PUT again (an
    // expired registration and the new one, a released shard and its new claim).
    const auto asEvents = [](const QList<StoredKey> &kvs) {
        QList<WatchMessage::Event> out;
        for (const StoredKey &kv : kvs)
            out.append({false, kv});
        return out;
    };
    m_session.watch(
        m_keys.members(), CoordinationStore::prefixEnd(m_keys.members()),
        {[this, asEvents](const KeyRange &r) { onMembers(asEvents(r.kvs), true); },
         [this](const QList<WatchMessage::Event> &events) { onMembers(events, false); }});
    m_session.watch(
        m_keys.shards(), CoordinationStore::prefixEnd(m_keys.shards()),
        {[this, asEvents](const KeyRange &r) { onShards(asEvents(r.kvs), true); },
         [this](const QList<WatchMessage::Event> &events) { onShards(events, false); }});
    // Registered under each new lease; the old registration went with the old lease.
    connect(&m_session, &FleetSession::leaseGranted, this, [this] { registerMember(); });
    connect(&m_session, &FleetSession::leaseHeldChanged, this, [this] { reconcile(); });
    connect(&m_session, &FleetSession::stateChanged, this, [this] {
        // Answers to calls of a dropped connection never come: what was pending is open again.
        if (m_session.state() != FleetSession::State::Live) {
            m_claiming.clear();
            m_releasing.clear();
        }
        reconcile();
    });
}

void ShardOwner::registerMember()
{
    if (m_session.lease() == 0)
        return;
    m_session.put(m_keys.member(m_me),
                  QJsonDocument(QJsonObject{{QStringLiteral("member"), m_me},
                                            {QStringLiteral("endpoints"),
                                             QJsonArray::fromStringList(m_endpoints)}})
                      .toJson(QJsonDocument::Compact));
}

void ShardOwner::setEndpoints(const QStringList &endpoints)
{
    QStringList sorted = endpoints;
    sorted.sort();
    sorted.removeDuplicates();
    if (sorted == m_endpoints)
        return;
    m_endpoints = sorted;
    registerMember();
    checkEndpoints();
}

QHash<QString, QString> ShardOwner::refusalsFor(const QStringList &mine,
                                                const QHash<QString, QStringList> &others)
{
    QHash<QString, QString> out;
    for (const QString &endpoint : mine) {
        QStringList lacking;
        for (auto it = others.cbegin(); it != others.cend(); ++it)
            if (!it->isEmpty() && !it->contains(endpoint))
                lacking << QStringLiteral("%1 watches %2").arg(it.key(), it->join(u' '));
        if (lacking.isEmpty())
            continue;
        lacking.sort();
        out.insert(endpoint, QStringLiteral("not deciding for %1: not every member watches it "
                                            "under that spelling (%2)")
                                 .arg(endpoint, lacking.join(QStringLiteral("; "))));
    }
    return out;
}

void ShardOwner::checkEndpoints()
{
    QHash<QString, QStringList> others = m_endpointsOf;
    others.remove(m_me);
    const QHash<QString, QString> now = refusalsFor(m_endpoints, others);
    if (now == m_refused)
        return;
    for (auto it = now.cbegin(); it != now.cend(); ++it)
        if (m_refused.value(it.key()) != *it)
            JsonLog::event(lcFleet, QtWarningMsg, QStringLiteral("endpoint_refused"),
                           {{QStringLiteral("member"), m_me},
                            {QStringLiteral("endpoint"), it.key()},
                            {QStringLiteral("cause"), *it}});
    for (auto it = m_refused.cbegin(); it != m_refused.cend(); ++it)
        if (!now.contains(it.key()))
            JsonLog::event(
                lcFleet, QtInfoMsg, QStringLiteral("endpoint_agreed"),
                {{QStringLiteral("member"), m_me}, {QStringLiteral("endpoint"), it.key()}});
    m_refused = now;
    Q_EMIT ownershipChanged(); // the tasks of a refused endpoint are decided by nobody here
}

int ShardOwner::shardOf(const QString &endpoint, const QString &taskId, int shards)
{
    return int(fnv1a(endpoint.toUtf8() + '\n' + taskId.toUtf8()) % std::uint64_t(shards));
}

QString ShardOwner::ownerOf(int shard, const QStringList &members)
{
    QString best;
    std::uint64_t bestWeight = 0;
    for (const QString &m : members) {
        const std::uint64_t w = mix(fnv1a(m.toUtf8() + '/' + QByteArray::number(shard)));
        if (best.isEmpty() || w > bestWeight || (w == bestWeight && m < best)) {
            best = m;
            bestWeight = w;
        }
    }
    return best;
}

QString ShardOwner::claimantOf(const QString &endpoint, const QString &taskId) const
{
    return m_claims.value(shardOf(endpoint, taskId, m_shards)).owner;
}

QStringList ShardOwner::members() const
{
    QStringList out(m_members.cbegin(), m_members.cend());
    out.sort();
    return out;
}

QHash<int, QString> ShardOwner::owners() const
{
    QHash<int, QString> out;
    for (auto it = m_claims.cbegin(); it != m_claims.cend(); ++it)
        out.insert(it.key(), it->owner);
    return out;
}

bool ShardOwner::acts(int shard) const
{
    const auto it = m_claims.constFind(shard);
    // A shard being handed back is not acted on from the moment its release is decided,
    // before the release is sent: nothing this member sends can follow etcd's delete.
    return it != m_claims.constEnd() && it->owner == m_me && it->lease == m_session.lease() &&
           m_session.leaseHeld() && m_dropped.value(shard, 0) != it->createRevision &&
           !m_releasing.contains(shard);
}

QList<int> ShardOwner::owned() const
{
    QList<int> out;
    for (int s = 0; s < m_shards; ++s)
        if (acts(s))
            out << s;
    return out;
}

QList<Fence> ShardOwner::ownedFences() const
{
    QList<Fence> out;
    for (int s : owned())
        out << Fence{s, m_claims.value(s).createRevision};
    return out;
}

std::optional<Fence> ShardOwner::fenceOf(const QString &endpoint, const QString &taskId) const
{
    const int s = shardOf(endpoint, taskId, m_shards);
    if (!acts(s) || m_refused.contains(endpoint))
        return std::nullopt;
    return Fence{s, m_claims.value(s).createRevision};
}

void ShardOwner::onMembers(const QList<WatchMessage::Event> &events, bool reset)
{
    if (reset) {
        m_members.clear();
        m_endpointsOf.clear();
    }
    const qsizetype prefix = m_keys.members().size();
    for (const WatchMessage::Event &e : events) {
        const QString id = QString::fromUtf8(e.kv.key.mid(prefix));
        if (e.deleted) {
            m_members.remove(id);
            m_endpointsOf.remove(id);
        } else {
            m_members.insert(id);
            // A member that publishes no endpoints (one before 0.1.2, or not watching yet)
            // is not counted against anyone.
            QStringList endpoints;
            for (const QJsonValue v : QJsonDocument::fromJson(e.kv.value)
                                          .object()
                                          .value(QStringLiteral("endpoints"))
                                          .toArray())
                endpoints << v.toString();
            m_endpointsOf.insert(id, endpoints);
        }
    }
    checkEndpoints();
    reconcile();
}

void ShardOwner::onShards(const QList<WatchMessage::Event> &events, bool reset)
{
    if (reset) {
        m_claims.clear();
        m_releasing.clear(); // a release lost with the connection is decided again
    }
    const qsizetype prefix = m_keys.shards().size();
    for (const WatchMessage::Event &e : events) {
        bool ok = false;
        const int n = e.kv.key.mid(prefix).toInt(&ok);
        if (!ok || n < 0 || n >= m_shards)
            continue; // another shard count's key: not ours to read
        if (e.deleted) {
            m_claims.remove(n);
            m_releasing.remove(n);
            m_dropped.remove(n);
        } else {
            m_claims.insert(n,
                            Claim{QString::fromUtf8(e.kv.value), e.kv.createRevision, e.kv.lease});
            m_claiming.remove(n);
        }
    }
    reconcile();
}

void ShardOwner::reconcile()
{
    announce();
    if (m_session.state() != FleetSession::State::Live || !m_session.leaseHeld() ||
        !m_members.contains(m_me))
        return;
    const QStringList live = members();
    for (int s = 0; s < m_shards; ++s) {
        const QString wanted = ownerOf(s, live);
        const auto claim = m_claims.constFind(s);
        if (claim == m_claims.constEnd()) {
            if (wanted != m_me || m_claiming.contains(s))
                continue;
            // Claimed only if nobody holds it; the watch shows who won.
            m_claiming.insert(s);
            m_session.create(m_keys.shard(s), m_me.toUtf8(), [this, s](bool won) {
                m_claiming.remove(s);
                JsonLog::event(lcFleet, QtInfoMsg,
                               won ? QStringLiteral("shard_claimed")
                                   : QStringLiteral("shard_claim_lost"),
                               {{QStringLiteral("member"), m_me}, {QStringLiteral("shard"), s}});
            });
        } else if (claim->owner == m_me && claim->lease == m_session.lease() && wanted != m_me) {
            // Another member ranks first now (it joined): hand the shard over.
            release(s, claim->createRevision);
        }
    }
    announce(); // the engine lets go of the shards being released in this same turn
}

void ShardOwner::release(int shard, std::int64_t createRevision)
{
    if (m_releasing.contains(shard))
        return;
    m_releasing.insert(shard);
    // Deleted only if it is still this claim (not a newer one by someone else).
    m_session.removeIfCreatedAt(m_keys.shard(shard), createRevision, [this, shard](bool deleted) {
        // Deleted: released when the watch shows the delete. Not deleted (the claim was not
        // this one): this member acts on it again.
        if (deleted)
            return;
        m_releasing.remove(shard);
        announce();
    });
}

void ShardOwner::dropShard(const Fence &fence)
{
    const auto claim = m_claims.constFind(fence.shard);
    if (claim == m_claims.constEnd() || claim->createRevision != fence.revision ||
        claim->owner != m_me)
        return;
    JsonLog::event(
        lcFleet, QtWarningMsg, QStringLiteral("shard_dropped"),
        {{QStringLiteral("member"), m_me},
         {QStringLiteral("shard"), fence.shard},
         {QStringLiteral("fence"), QString::fromLatin1(fence.text())},
         {QStringLiteral("cause"), QStringLiteral("a service saw a newer owner's fence")}});
    m_dropped.insert(fence.shard, fence.revision);
    release(fence.shard, fence.revision);
    announce();
}

QByteArray ShardOwner::metricsText() const
{
    PrometheusText out;
    const PrometheusText::Labels member{{QStringLiteral("member"), m_me}};
    out.family("rebound_fleet_etcd_live", "gauge",
               "1 while the member's watch stream to etcd is live.");
    out.sample("rebound_fleet_etcd_live", member,
               m_session.state() == FleetSession::State::Live ? 1 : 0);
    out.family("rebound_fleet_lease_held", "gauge",
               "1 while the member's lease holds by its own clock; 0 means it decides nothing.");
    out.sample("rebound_fleet_lease_held", member, m_session.leaseHeld() ? 1 : 0);
    out.family("rebound_fleet_shards_owned", "gauge", "Shards this member decides now.");
    out.sample("rebound_fleet_shards_owned", member, double(owned().size()));
    out.family("rebound_fleet_shards", "gauge", "Shards the fleet's tasks are split into.");
    out.sample("rebound_fleet_shards", member, double(m_shards));
    out.family("rebound_fleet_members", "gauge", "Live members this member sees.");
    out.sample("rebound_fleet_members", member, double(m_members.size()));
    out.family("rebound_fleet_endpoint_refused", "gauge",
               "1 for an endpoint this member decides nothing for: not every member watches "
               "it under that spelling.");
    for (const QString &e : m_endpoints)
        out.sample("rebound_fleet_endpoint_refused",
                   {{QStringLiteral("member"), m_me}, {QStringLiteral("endpoint"), e}},
                   m_refused.contains(e) ? 1 : 0);
    return out.text();
}

void ShardOwner::announce()
{
    const QList<int> now = owned();
    if (now == m_announced)
        return;
    const QList<int> before = std::exchange(m_announced, now);
    QList<Fence> gained;
    for (int s : now)
        if (!before.contains(s))
            gained << Fence{s, m_claims.value(s).createRevision};
    if (!gained.isEmpty())
        Q_EMIT shardsGained(gained);
    JsonLog::event(lcFleet, QtInfoMsg, QStringLiteral("shards_owned"),
                   {{QStringLiteral("member"), m_me},
                    {QStringLiteral("count"), now.size()},
                    {QStringLiteral("before"), before.size()},
                    {QStringLiteral("lease_held"), m_session.leaseHeld()}});
    Q_EMIT ownershipChanged();
}

} // namespace rebound
