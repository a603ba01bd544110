#include "engine/FenceAnnouncer.h"

#include "remote/TaskApi.h"
#include "support/JsonLog.h"

namespace rebound {

FenceAnnouncer::FenceAnnouncer(Transports transports, std::function<void(const Fence &)> stale)
    : m_transports(std::move(transports)), m_stale(std::move(stale))
{}

FenceAnnouncer::~FenceAnnouncer()
{
    *m_alive = false; // answers to announcements still on their way find nobody
}

void FenceAnnouncer::announce(const QList<Fence> &fences)
{
    if (fences.isEmpty())
        return;
    for (const std::shared_ptr<TaskTransport> &t : m_transports())
        announceTo(t, fences);
}

void FenceAnnouncer::announceTo(const std::shared_ptr<TaskTransport> &transport,
                                const QList<Fence> &fences)
{
    for (const Fence &f : fences) {
        transport->send(TaskApi::announceFence(f),
                        [this, alive = m_alive, endpoint = transport->endpointKey(),
                         f](const ApiResponse &r) {
                            if (*alive)
                                answered(endpoint, f, r);
                        });
    }
}

void FenceAnnouncer::answered(const QString &endpoint, const Fence &fence, const ApiResponse &r)
{
    if (r.isSuccess())
        return;
    if (r.status == 409 && r.problemType() == QLatin1String("urn:rebound:problem:stale-fence")) {
        if (m_stale)
            m_stale(fence);
        return;
    }
    if (r.status == 404 || r.status == 405) {
        if (!m_withoutRoute.contains(endpoint)) {
            m_withoutRoute.insert(endpoint);
            JsonLog::event(lcFleet, QtInfoMsg, QStringLiteral("fence_announcement_unsupported"),
                           {{QStringLiteral("endpoint"), endpoint},
                            {QStringLiteral("status"), r.status},
                            {QStringLiteral("cause"),
                             QStringLiteral("the service has no /v1/fences: a shard's previous "
                                            "owner is refused only once this member acts "
                                            "there")}});
        }
        return;
    }
    // Not fatal: the fence goes with every action this member takes in the shard.
    JsonLog::event(lcFleet, QtWarningMsg, QStringLiteral("fence_announcement_failed"),
                   {{QStringLiteral("endpoint"), endpoint},
                    {QStringLiteral("fence"), QString::fromLatin1(fence.text())},
                    {QStringLiteral("cause"), r.transport != TransportError::None
                                                  ? r.error
                                                  : QStringLiteral("HTTP %1").arg(r.status)}});
}

} // namespace rebound
