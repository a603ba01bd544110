#include "TaskdMetrics.h"

#include "telemetry/PrometheusText.h"

#include <QStringList>

namespace rebound::taskd {

QString TaskdMetrics::routeLabel(const QString &path)
{
    static const QStringList fixed = {
        QStringLiteral("/v1/health"),    QStringLiteral("/v1/tasks"),
        QStringLiteral("/metrics"),      QStringLiteral("/openapi.yaml"),
        QStringLiteral("/admin/faults"), QStringLiteral("/admin/profile"),
        QStringLiteral("/v1/watch"),     QStringLiteral("/v1/fences")};
    if (fixed.contains(path))
        return path;
    static const QString prefix = QStringLiteral("/v1/tasks/");
    if (path.startsWith(prefix)) {
        const QStringList parts = path.mid(prefix.size()).split(u'/');
        if (parts.size() == 1 && !parts[0].isEmpty())
            return QStringLiteral("/v1/tasks/{id}");
        if (parts.size() == 2 && !parts[0].isEmpty() &&
            (parts[1] == QLatin1String("attempts") || parts[1] == QLatin1String("cancel")))
            return QStringLiteral("/v1/tasks/{id}/") + parts[1];
        if (parts.size() == 4 && !parts[0].isEmpty() && parts[1] == QLatin1String("attempts") &&
            !parts[2].isEmpty() && parts[3] == QLatin1String("abort"))
            return QStringLiteral("/v1/tasks/{id}/attempts/{n}/abort");
    }
    return QStringLiteral("unmatched");
}

QByteArray TaskdMetrics::text(int tasks, int watchConnections, const WatchHub::Stats &watch) const
{
    PrometheusText out;
    out.family("rebound_taskd_attempts_started_total", "counter",
               "Attempts started, by task type and reason.");
    for (auto it = m_attemptsStarted.begin(); it != m_attemptsStarted.end(); ++it)
        out.sample(
            "rebound_taskd_attempts_started_total",
            {{QStringLiteral("type"), it.key().first}, {QStringLiteral("reason"), it.key().second}},
            double(it.value()));
    out.family("rebound_taskd_requests_total", "counter",
               "Requests answered, by route (as the OpenAPI file names it; unmatched for any "
               "other path) and status (0: connection cut).");
    QMap<int, quint64> byStatus;
    for (auto it = m_requests.begin(); it != m_requests.end(); ++it) {
        out.sample("rebound_taskd_requests_total",
                   {{QStringLiteral("route"), it.key().first},
                    {QStringLiteral("status"), QString::number(it.key().second)}},
                   double(it.value()));
        byStatus[it.key().second] += it.value();
    }
    out.family("rebound_taskd_conflict_answers_total", "counter", "409, 412 and 422 answers.");
    for (int s : {409, 412, 422})
        out.sample("rebound_taskd_conflict_answers_total",
                   {{QStringLiteral("status"), QString::number(s)}}, double(byStatus.value(s)));
    out.family("rebound_taskd_idempotent_replays_total", "counter",
               "Requests answered from the idempotency store.");
    out.sample("rebound_taskd_idempotent_replays_total", {}, double(m_replays));
    out.family("rebound_taskd_stale_fence_refusals_total", "counter",
               "Actions refused because their Rebound-Fence was below the highest seen for the "
               "shard.");
    out.sample("rebound_taskd_stale_fence_refusals_total", {}, double(m_staleFences));
    out.family("rebound_taskd_stale_fence_announcements_total", "counter",
               "Fence announcements refused because a higher fence was seen for the shard first "
               "(late, and harmless).");
    out.sample("rebound_taskd_stale_fence_announcements_total", {}, double(m_staleAnnouncements));
    out.family("rebound_taskd_faults_injected_total", "counter",
               "Answers changed by /admin/faults, by kind.");
    for (auto it = m_faultsInjected.begin(); it != m_faultsInjected.end(); ++it)
        out.sample("rebound_taskd_faults_injected_total", {{QStringLiteral("kind"), it.key()}},
                   double(it.value()));
    out.family("rebound_taskd_tasks", "gauge", "Tasks in the store.");
    out.sample("rebound_taskd_tasks", {}, tasks);
    out.family("rebound_taskd_watch_connections", "gauge", "Open /v1/watch connections.");
    out.sample("rebound_taskd_watch_connections", {}, watchConnections);
    out.family("rebound_taskd_watch_messages_total", "counter", "Messages sent on /v1/watch.");
    out.sample("rebound_taskd_watch_messages_total", {}, double(watch.messages));
    out.family("rebound_taskd_watch_closes_total", "counter",
               "/v1/watch connections ended, by cause.");
    for (const char *cause : {"client", "dropped", "protocol", "slow"})
        out.sample("rebound_taskd_watch_closes_total",
                   {{QStringLiteral("cause"), QLatin1String(cause)}},
                   double(watch.closes.value(QLatin1String(cause))));
    return out.text();
}

} // namespace rebound::taskd
