#include "WatchCommand.h"

#include "RemoteCommandLine.h"
#include "Runtime.h"
#include "StopSignals.h"
#include "engine/Engine.h"
#include "engine/Orchestrator.h"
#include "fleet/FleetMember.h"
#include "fleet/FleetSession.h"
#include "policy/PolicyStore.h"
#include "support/JsonLog.h"
#include "telemetry/OtlpExporter.h"
#include "time/SystemClock.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFile>
#include <QScopeGuard>
#include <QStandardPaths>
#include <QTimer>

#include <csignal>

#include <cstdio>

using namespace rebound;

int WatchCommand::run(const QStringList &args, cli::Streams io)
{
    RemoteCommandLine c;
    c.name = QStringLiteral("reboundctl watch");
    if (!c.parse(
            args, io,
            RuntimeOptions::commandLine() +
                QList<QCommandLineOption>{
                    {QStringLiteral("policies"),
                     QStringLiteral(
                         "Policy file (hot-reloaded; default: the built-in policy for every "
                         "task type)."),
                     QStringLiteral("FILE")},
                    {QStringLiteral("db"),
                     QStringLiteral("History database (default: under the app data directory)."),
                     QStringLiteral("FILE")},
                    {QStringLiteral("duration"),
                     QStringLiteral("Run this many seconds, then exit 0 (default: until stopped)."),
                     QStringLiteral("S")},
                    {QStringLiteral("retention-days"),
                     QStringLiteral(
                         "Delete attempts older than this many days (0 keeps everything)."),
                     QStringLiteral("D"), QStringLiteral("30")},
                    {QStringLiteral("metrics-max-types"),
                     QStringLiteral("Task types with their own metrics labels; later ones count as "
                                    "\"other\"."),
                     QStringLiteral("N"), QStringLiteral("50")}}))
        return c.usageOrHelp();
    double duration = -1;
    if (c.parser.isSet(QStringLiteral("duration"))) {
        bool ok = false;
        duration = c.parser.value(QStringLiteral("duration")).toDouble(&ok);
        if (!ok || duration < 0 || duration > 1e7) {
            io.err << c.name << ": --duration: expected seconds ≥ 0\n";
            return cli::Usage;
        }
    }
    bool retentionOk = false;
    const int retentionDays = c.parser.value(QStringLiteral("retention-days")).toInt(&retentionOk);
    if (!retentionOk || retentionDays < 0 || retentionDays > 36'500) {
        io.err << c.name << ": --retention-days: expected whole days in 0..36500\n";
        return cli::Usage;
    }
    bool maxTypesOk = false;
    const int maxTypes = c.parser.value(QStringLiteral("metrics-max-types")).toInt(&maxTypesOk);
    if (!maxTypesOk || maxTypes < 1 || maxTypes > 10'000) {
        io.err << c.name << ": --metrics-max-types: expected a count in 1..10000\n";
        return cli::Usage;
    }
    auto runtime = RuntimeOptions::from(
        c.parser, {QString(), QString(), c.parser.isSet(QStringLiteral("policies"))});
    if (!runtime) {
        io.err << c.name << ": " << runtime.error().message << "\n";
        return cli::Usage;
    }
    for (const QString &warning : std::as_const(runtime->warnings))
        io.err << c.name << ": " << warning << "\n";
    const auto &etcdAccess = runtime->etcd;
    if (etcdAccess)
        JsonLog::registerSecret(QString::fromUtf8(etcdAccess->password));
    if (runtime->fleet.redis)
        JsonLog::registerSecret(QString::fromUtf8(runtime->fleet.redis->password));
    const auto endpoint = c.endpoint(io);
    if (!endpoint)
        return cli::Usage;
    // Without --policies every task type gets the built-in defaults: a first try just works.
    const QString policyPath = c.parser.value(QStringLiteral("policies"));
    if (!policyPath.isEmpty() && !QFile::exists(policyPath)) {
        io.err << c.name << ": --policies " << policyPath << ": no such file\n";
        return cli::Usage;
    }
    QString dbPath = c.parser.value(QStringLiteral("db"));
    if (dbPath.isEmpty())
        dbPath = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) +
                 QStringLiteral("/history.sqlite");
    auto engine = Engine::open({policyPath, {}, dbPath, retentionDays});
    if (!engine) {
        io.err << c.name << ": " << engine.error().message << "\n";
        return cli::Invalid;
    }
    Engine &e = **engine;
    e.orchestrator->metrics().setMaxTypes(maxTypes);
    Runtime run(e, *runtime, QStringLiteral("reboundctl"));
    if (auto listening = run.listen(); !listening) {
        io.err << c.name << ": " << listening.error().message << "\n";
        return cli::Invalid;
    }
    // The log goes to stdout (the first purge runs once the event loop turns, so it is logged).
    SystemClock logClock;
    QFile stdoutFile;
    (void)stdoutFile.open(stdout, QIODevice::WriteOnly | QIODevice::Unbuffered);
    JsonLog::install(logClock, &stdoutFile);
    const auto uninstall = qScopeGuard([] { JsonLog::uninstall(); });
    JsonLog::event(
        lcEngine, QtInfoMsg, QStringLiteral("watch_started"),
        {{QStringLiteral("endpoint"), endpoint->key()},
         {QStringLiteral("db"), dbPath},
         {QStringLiteral("retention_days"), retentionDays},
         {QStringLiteral("metrics"), run.metricsUrl()},
         {QStringLiteral("otlp"),
          run.spans() ? run.spans()->url().toString() : QStringLiteral("off")},
         {QStringLiteral("policies"),
          etcdAccess
              ? QStringLiteral("etcd %1%2")
                    .arg(etcdAccess->url.toString(), c.parser.value(QStringLiteral("prefix")))
          : policyPath.isEmpty() ? QStringLiteral("built-in defaults (no --policies given)")
                                 : policyPath}});
    QObject::connect(&e.policies, &PolicyStore::reloadFailed, [](const QStringList &errors) {
        JsonLog::event(lcPolicy, QtWarningMsg, QStringLiteral("policy_rejected"),
                       {{QStringLiteral("cause"), errors.join(QStringLiteral("; "))}});
    });
    // Fleet mode: no decision before the config centre has been read (or found empty), so a
    // member never retries under policies the fleet did not publish.
    if (FleetMember *member = run.fleet()) {
        QObject::connect(&member->session(), &FleetSession::stateChanged, qApp,
                         [&e, &endpoint, s = &member->session()] {
                             if (s->state() == FleetSession::State::Live &&
                                 !e.orchestrator->poller(endpoint->key()))
                                 e.orchestrator->addEndpoint(*endpoint);
                         });
        member->start();
    } else {
        e.orchestrator->addEndpoint(*endpoint);
    }
    // The end of --duration, Ctrl-C and SIGTERM all stop the same way: out of the fleet at
    // once, spans sent, history written; then the event loop ends.
    const auto stop = [&run] { run.stop([] { QCoreApplication::quit(); }); };
    StopSignals stopSignals;
    QObject::connect(&stopSignals, &StopSignals::stopRequested, qApp, [stop](int signal) {
        JsonLog::event(lcEngine, QtInfoMsg, QStringLiteral("stop_requested"),
                       {{QStringLiteral("signal"),
                         signal == SIGINT ? QStringLiteral("SIGINT") : QStringLiteral("SIGTERM")}});
        stop();
    });
    if (duration >= 0)
        QTimer::singleShot(static_cast<int>(duration * 1000), qApp, stop);
    QCoreApplication::exec();
    const OtlpExporter *spans = run.spans();
    JsonLog::event(lcEngine, QtInfoMsg, QStringLiteral("watch_stopped"),
                   {{QStringLiteral("scheduled"), qint64(e.orchestrator->scheduledCount())},
                    {QStringLiteral("spans_exported"), spans ? qint64(spans->exported()) : 0},
                    {QStringLiteral("spans_dropped"), spans ? qint64(spans->dropped()) : 0}});

    return cli::Ok;
}
