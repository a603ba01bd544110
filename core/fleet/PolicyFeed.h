#pragma once

#include "fleet/FleetSession.h"
#include "fleet/FleetKeys.h"

#include <QObject>

namespace rebound {

class PolicyStore;

/// A member's policies from the config centre: reads the policy key, watches it (on the
/// member's FleetSession), validates each new version before applying it (an invalid one is
/// refused and the last good set stays), and acknowledges every version it looked at under the
/// member's lease, so the fleet can see who runs which version and who refused it and why. A
/// DELETE of the key is never "no policies".
class PolicyFeed final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PolicyFeed)

public:
    /// Registers its watch with `session`: construct before session.start().
    PolicyFeed(FleetSession &session, const FleetKeys &keys, PolicyStore &store,
               QObject *parent = nullptr);

    FleetSession &session() { return m_session; }
    /// The newest policy revision looked at (applied or refused); 0 before the first.
    std::int64_t seenRevision() const { return m_seenRevision; }

Q_SIGNALS:
    /// A published version was looked at: applied (ok) or refused with the reason.
    void versionSeen(std::int64_t revision, bool ok, const QString &error);

private:
    void consider(const StoredKey &kv);
    void acknowledge();
    /// A member that never applied a valid version was shown an invalid one: it reads the
    /// key's earlier versions (etcd keeps them until compaction), newest first, and runs the
    /// first valid one — or says that it runs the built-in defaults, and why.
    void lookBack(std::int64_t revision, std::int64_t refused, const QString &why);
    void settleOn(std::int64_t refused, const QString &why, const QString &runs);

    FleetSession &m_session;
    FleetKeys m_keys;
    PolicyStore &m_store;
    std::int64_t m_seenRevision = 0;
    std::int64_t m_appliedRevision = 0; ///< the last version applied from etcd (0: none yet)
    std::int64_t m_ackRevision = 0;
    bool m_ackOk = true;
    QString m_ackError;
};

} // namespace rebound
