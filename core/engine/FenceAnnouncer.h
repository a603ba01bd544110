#pragma once

#include "remote/Fence.h"
#include "remote/TaskTransport.h"

#include <QSet>
#include <QString>

#include <functional>
#include <memory>

namespace rebound {

/// Tells every endpoint the fence of each shard this fleet member has just claimed
/// (`POST /v1/fences`), so a service refuses the shard's previous owner from the claim on —
/// not only once this member first acts there. A service that refuses the announcement as
/// stale means the shard has moved on again: `stale` is told, as for a refused action. One
/// without the route (404) keeps only the fence every action carries; that is said once.
class FenceAnnouncer final
{
    Q_DISABLE_COPY_MOVE(FenceAnnouncer)

public:
    using Transports = std::function<QList<std::shared_ptr<TaskTransport>>()>;
    FenceAnnouncer(Transports transports, std::function<void(const Fence &)> stale);
    ~FenceAnnouncer();

    /// Sends each fence to every endpoint there is now.
    void announce(const QList<Fence> &fences);
    /// Sends each fence to one endpoint (one added while the shards were already held).
    void announceTo(const std::shared_ptr<TaskTransport> &transport, const QList<Fence> &fences);

private:
    void answered(const QString &endpoint, const Fence &fence, const ApiResponse &r);

    Transports m_transports;
    std::function<void(const Fence &)> m_stale;
    QSet<QString> m_withoutRoute; ///< endpoints that answered 404: said once
    std::shared_ptr<bool> m_alive = std::make_shared<bool>(true);
};

} // namespace rebound
