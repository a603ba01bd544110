#pragma once

#include "EtcdCodec.h"
#include "FleetKeys.h"
#include "Result.h"

#include <functional>

namespace rebound {

class EtcdWire;

/// What one member said about the policies: the version it looked at last, and whether it runs
/// it or refused it (and why).
struct MemberAck
{
    QString member;
    std::int64_t revision = 0;
    bool ok = false;
    QString error;
};

/// The fleet as etcd has it: the published policy version and every live member's
/// acknowledgement (the keys vanish with a member's lease). Read by `reboundctl fleet status`
/// and the console's Fleet dock alike.
struct FleetSnapshot
{
    std::int64_t policyRevision = 0; ///< 0: nothing published
    QList<MemberAck> members;        ///< ordered by member id
};

class FleetStatus final
{
public:
    /// Two ranges (the policy key, the status prefix); `done` gets the snapshot or the first
    /// error, on the event loop.
    static void read(EtcdWire &wire, const FleetKeys &keys,
                     std::function<void(Result<FleetSnapshot>)> done);
    /// The snapshot from the two range answers (exposed for tests).
    static Result<FleetSnapshot> fromRanges(const FleetKeys &keys, const QByteArray &policy,
                                            const QByteArray &status);
};

} // namespace rebound
