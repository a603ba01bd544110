#pragma once

#include "RuntimeOptions.h"
#include "support/Result.h"

#include <QDeadlineTimer>
#include <QString>

#include <functional>

#include <memory>

namespace rebound {
class Engine;
class FleetMember;
class MetricsServer;
class OtlpExporter;
} // namespace rebound

/// What runs beside the engine in `rebound` and `reboundctl watch`, assembled once from
/// RuntimeOptions: the Prometheus endpoint (the engine's and the fleet's metrics), the span
/// exporter, and the fleet membership. The caller wires its own reactions to the member (the
/// console's Fleet dock, the endpoints it adds once the session is live), then starts it.
class Runtime final
{
    Q_DISABLE_COPY_MOVE(Runtime)

public:
    /// `service` names the program in the spans (service.name).
    Runtime(rebound::Engine &engine, const RuntimeOptions &options, const QString &service);
    ~Runtime();

    /// Listens for metrics when asked to; the error says why it cannot.
    rebound::Result<void> listen();
    /// The fleet member (not started); null outside a fleet.
    rebound::FleetMember *fleet() const { return m_fleet.get(); }
    /// The span exporter; null when no collector was given.
    rebound::OtlpExporter *spans() const { return m_spans.get(); }
    /// "http://HOST:PORT/metrics" while listening, else "off".
    QString metricsUrl() const;
    /// Stops cleanly, then runs `done` (on the event loop): leaves the fleet at once (not a
    /// lease TTL later; at most 1 s), stops the engine, and sends the queued spans (at most
    /// 5 s). Quitting the application is `done`'s to do. Once only.
    void stop(std::function<void()> done);

    static constexpr int kSpanDrainMs = 5000;

private:
    /// Sends what is queued until nothing is, or `deadline` passes; then `done`.
    void drainSpans(QDeadlineTimer deadline, std::function<void()> done);

    rebound::Engine &m_engine;
    RuntimeOptions m_options;
    std::unique_ptr<rebound::OtlpExporter> m_spans;
    std::unique_ptr<rebound::FleetMember> m_fleet;
    std::unique_ptr<rebound::MetricsServer> m_metrics;
    bool m_listening = false;
    bool m_stopping = false;
};
