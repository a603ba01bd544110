#include "Runtime.h"

#include "engine/Engine.h"
#include "fleet/FleetMember.h"
#include "telemetry/MetricsServer.h"
#include "telemetry/OtlpExporter.h"

#include <QCoreApplication>
#include <QSysInfo>
#include <QTimer>

using namespace rebound;

Runtime::Runtime(Engine &engine, const RuntimeOptions &options, const QString &service)
    : m_engine(engine), m_options(options)
{
    Orchestrator &o = *engine.orchestrator;
    if (!options.otlp.isEmpty()) {
        m_spans = std::make_unique<OtlpExporter>(
            options.otlp,
            OtlpSpan::Attributes{
                {QStringLiteral("service.name"), service},
                {QStringLiteral("service.version"), QCoreApplication::applicationVersion()},
                {QStringLiteral("host.name"), QSysInfo::machineHostName()}});
        o.setSpanSink([this](OtlpSpan s) { m_spans->add(std::move(s)); });
        o.metrics().setSpanCounts([this] {
            return EngineMetrics::SpanCounts{m_spans->exported(), m_spans->dropped(),
                                             quint64(m_spans->queued())};
        });
    }
    if (options.etcd) {
        // A member like the others: it decides only its shards' tasks, and nothing before the
        // config centre has been read.
        m_fleet = std::make_unique<FleetMember>(options.fleet, o, engine.policies, engine.clock,
                                                engine.timers, engine.rng);
    }
    m_metrics = std::make_unique<MetricsServer>([this] {
        return m_engine.orchestrator->metrics().render(*m_engine.orchestrator) +
               (m_fleet ? m_fleet->metricsText() : QByteArray());
    });
}

Runtime::~Runtime()
{
    // Without stop(), what is left goes now: the member's keys stay until its lease runs out
    // (FleetMember says so), and spans still queued are counted as not sent.
    m_fleet.reset();
    m_engine.orchestrator->stop();
    m_engine.orchestrator->setSpanSink({});
    m_engine.orchestrator->metrics().setSpanCounts({});
}

Result<void> Runtime::listen()
{
    if (!m_options.metricsAt)
        return {};
    auto listening = m_metrics->listen(m_options.metricsAt->first, m_options.metricsAt->second);
    if (!listening)
        return Error{listening.error().code,
                     QStringLiteral("--metrics: ") + listening.error().message};
    m_listening = true;
    return {};
}

QString Runtime::metricsUrl() const
{
    if (!m_listening)
        return QStringLiteral("off");
    const QHostAddress &host = m_options.metricsAt->first;
    return QStringLiteral("http://%1:%2/metrics")
        .arg(host.protocol() == QAbstractSocket::IPv6Protocol
                 ? QStringLiteral("[%1]").arg(host.toString())
                 : host.toString())
        .arg(m_metrics->port());
}

void Runtime::stop(std::function<void()> done)
{
    if (std::exchange(m_stopping, true))
        return;
    const auto afterFleet = [this, done = std::move(done)] {
        m_engine.orchestrator->stop();
        if (!m_spans) {
            done();
            return;
        }
        drainSpans(QDeadlineTimer(kSpanDrainMs), done);
    };
    if (m_fleet)
        m_fleet->leave(afterFleet);
    else
        afterFleet();
}

void Runtime::drainSpans(QDeadlineTimer deadline, std::function<void()> done)
{
    if ((m_spans->queued() == 0 && !m_spans->inFlight()) || deadline.hasExpired()) {
        done();
        return;
    }
    m_spans->flush();
    QTimer::singleShot(20, qApp,
                       [this, deadline, done = std::move(done)] { drainSpans(deadline, done); });
}
