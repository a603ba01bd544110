#pragma once

#include "fleet/CoordinationStore.h"
#include "fleet/FleetKeys.h"
#include "support/Result.h"

#include <QMap>
#include <QStringList>

#include <functional>

namespace rebound {

/// One member as the coordination store shows it: its registration and lease, the shards it holds,
/// and what it said about the policies (the version it looked at last, and whether it runs it or
/// refused it and why).
struct MemberStatus
{
    QString member;
    std::int64_t revision = 0; ///< 0: no acknowledgement yet
    bool ok = false;
    QString error;
    bool registered = false; ///< has <prefix>/members/<id> (takes part in work ownership)
    std::int64_t lease = 0;
    std::int64_t leaseTtl = -1; ///< seconds left on the lease as the store counts them; -1 unknown
    int shards = 0;             ///< shards it holds
    /// Its retry rate limits: "redis" (shared), "local 1/N" (Redis away), empty (no Redis).
    QString budget;
    QString budgetCause;   ///< why local
    QStringList endpoints; ///< the endpoints it watches, as it spells them (sorted)
};

/// The fleet as etcd has it: the published policy version, every live member (the keys vanish
/// with a member's lease) and the shards claimed. Read by `reboundctl fleet status` and the
/// console's Fleet dock alike.
struct FleetSnapshot
{
    std::int64_t policyRevision = 0; ///< 0: nothing published
    QList<MemberStatus> members;     ///< ordered by member id
    int claimedShards = 0;

    /// The endpoint sets the members publish, each with the members that watch it (members
    /// that publish none yet left out). More than one: members refuse to decide for what not
    /// all of them watch under one spelling.
    QMap<QStringList, QStringList> endpointSets() const
    {
        QMap<QStringList, QStringList> sets;
        for (const MemberStatus &m : members)
            if (!m.endpoints.isEmpty())
                sets[m.endpoints] << m.member;
        return sets;
    }
};

class FleetStatus final
{
public:
    /// One range of the whole prefix (a consistent picture), then each registered member's
    /// lease time-to-live; `done` gets the snapshot or the first error, on the event loop.
    static void read(CoordinationStore &store, const FleetKeys &keys,
                     std::function<void(Result<FleetSnapshot>)> done);
    /// The snapshot from the prefix's keys (lease TTLs unknown; exposed for tests).
    static FleetSnapshot fromRange(const FleetKeys &keys, const KeyRange &range);
};

} // namespace rebound
