#pragma once

#include "WatchHub.h"
#include "remote/RemoteTask.h"

#include <QByteArray>
#include <QMap>
#include <QPair>
#include <QString>

namespace rebound::taskd {

/// What rebound-taskd counts, and its /metrics text (Prometheus, through PrometheusText).
class TaskdMetrics final
{
public:
    /// A request's path as the OpenAPI file names its route ("unmatched" for any other).
    static QString routeLabel(const QString &path);

    /// An answer on `path` (status 0: the connection was cut; 101: a WebSocket upgrade).
    void answered(const QString &path, int status) { ++m_requests[{routeLabel(path), status}]; }
    void attemptStarted(const QString &type, AttemptReason reason)
    {
        ++m_attemptsStarted[{type, toText(reason)}];
    }
    void replayed() { ++m_replays; }
    /// A Rebound-Fence below the shard's highest: on an action, or on an announcement.
    void staleFenceRefused(bool announced) { ++(announced ? m_staleAnnouncements : m_staleFences); }
    void faultInjected(const QString &kind) { ++m_faultsInjected[kind]; }

    QByteArray text(int tasks, int watchConnections, const WatchHub::Stats &watch) const;

private:
    QMap<QPair<QString, QString>, quint64> m_attemptsStarted; ///< (type, reason)
    QMap<QPair<QString, int>, quint64> m_requests;            ///< (route, status)
    quint64 m_replays = 0;
    quint64 m_staleFences = 0;        ///< actions refused for a stale fence
    quint64 m_staleAnnouncements = 0; ///< announcements refused for one
    QMap<QString, quint64> m_faultsInjected;
};

} // namespace rebound::taskd
