#include "RemoteCommands.h"

#include "FleetCommand.h"
#include "Keychain.h"
#include "Runtime.h"
#include "TokenSource.h"
#include "engine/Engine.h"
#include "engine/Orchestrator.h"
#include "fleet/EtcdCodec.h"
#include "fleet/EtcdSession.h"
#include "fleet/FleetMember.h"
#include "history/HistoryStore.h"
#include "policy/PolicyStore.h"
#include "remote/EndpointClient.h"
#include "remote/TaskApi.h"
#include "remote/TaskJson.h"
#include "support/JsonLog.h"
#include "support/Rfc3339.h"
#include "telemetry/OtlpExporter.h"
#include "time/QtTimerSource.h"
#include "time/SeededRandom.h"
#include "time/SystemClock.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QEventLoop>
#include <QFile>
#include <QJsonDocument>
#include <QRandomGenerator>
#include <QSaveFile>
#include <QScopeGuard>
#include <QSet>
#include <QSslCertificate>
#include <QStandardPaths>
#include <QTimer>

#include <cstdio>

using namespace rebound;

namespace {

struct Common
{
    QCommandLineParser parser;
    QString name;
};

bool parseCommon(Common &c, const QStringList &args, cli::Streams io,
                 const QList<QCommandLineOption> &extra, bool needUrl = true)
{
    c.parser.addHelpOption();
    if (needUrl) {
        c.parser.addOption({QStringLiteral("url"),
                            QStringLiteral("Task API endpoint, e.g. http://127.0.0.1:8080."),
                            QStringLiteral("URL")});
        c.parser.addOption({QStringLiteral("token-file"),
                            QStringLiteral("Read the bearer token from this file (else "
                                           "REBOUND_TOKEN, else the OS keychain)."),
                            QStringLiteral("FILE")});
        c.parser.addOption({QStringLiteral("ca-file"),
                            QStringLiteral("Trust this PEM CA (or self-signed certificate) for "
                                           "this endpoint, besides the system's."),
                            QStringLiteral("FILE")});
    }
    c.parser.addOptions(extra);
    if (!c.parser.parse(args)) {
        io.err << c.name << ": " << c.parser.errorText() << "\n";
        return false;
    }
    if (c.parser.isSet(QStringLiteral("help"))) {
        io.out << cli::help(c.parser.helpText(), c.name);
        return false;
    }
    if (needUrl) {
        const auto url = EndpointConfig::parseBaseUrl(c.parser.value(QStringLiteral("url")),
                                                      QStringLiteral("--url"));
        if (!url) {
            io.err << c.name << ": " << url.error().message << "\n";
            return false;
        }
    }
    return true;
}

int usageOrHelp(const Common &c)
{
    return c.parser.isSet(QStringLiteral("help")) ? cli::Ok : cli::Usage;
}

std::optional<EndpointConfig> endpointFrom(const Common &c, cli::Streams io)
{
    EndpointConfig e;
    e.baseUrl = QUrl(c.parser.value(QStringLiteral("url")));
    QString error;
    const auto token =
        TokenSource::resolve(e.key(), c.parser.value(QStringLiteral("token-file")), error);
    if (!token) {
        io.err << c.name << ": " << error << "\n";
        return std::nullopt;
    }
    e.token = *token;
    JsonLog::registerSecret(QString::fromUtf8(e.token));
    if (c.parser.isSet(QStringLiteral("ca-file"))) {
        QFile f(c.parser.value(QStringLiteral("ca-file")));
        if (!f.open(QIODevice::ReadOnly)) {
            io.err << c.name << ": --ca-file " << f.fileName() << ": " << f.errorString() << "\n";
            return std::nullopt;
        }
        e.caCertificates = QSslCertificate::fromData(f.read(4 * 1024 * 1024), QSsl::Pem);
        if (e.caCertificates.isEmpty()) {
            io.err << c.name << ": --ca-file " << f.fileName() << ": no PEM certificate in it\n";
            return std::nullopt;
        }
    }
    return e;
}

ApiResponse call(EndpointClient &client, ApiRequest req)
{
    ApiResponse out;
    QEventLoop loop;
    client.send(std::move(req), [&](const ApiResponse &r) {
        out = r;
        loop.quit();
    });
    loop.exec();
    return out;
}

} // namespace

int RemoteCommands::tasks(const QStringList &args, cli::Streams io)
{
    Common c;
    c.name = QStringLiteral("reboundctl tasks");
    if (!parseCommon(c, args, io,
                     {{QStringLiteral("json"), QStringLiteral("One JSON object per line.")}}))
        return usageOrHelp(c);
    const auto endpoint = endpointFrom(c, io);
    if (!endpoint)
        return cli::Usage;
    SystemClock clock;
    SeededRandom rng(QRandomGenerator::system()->generate64());
    EndpointClient client(*endpoint, clock, rng);
    QString cursor;
    bool first = true;
    int count = 0;
    QSet<QString> cursorsSeen; // a cursor that comes back while `more` is true would loop
    if (!c.parser.isSet(QStringLiteral("json")))
        io.out << QStringLiteral("%1  %2  %3  %4  %5\n")
                      .arg(QStringLiteral("ID"), -28)
                      .arg(QStringLiteral("TYPE"), -16)
                      .arg(QStringLiteral("STATE"), -10)
                      .arg(QStringLiteral("ATTEMPT"), 7)
                      .arg(QStringLiteral("VERSION"));
    for (;;) {
        const ApiResponse r = call(client, TaskApi::listTasks(first ? QString() : cursor, 500, {}));
        first = false;
        if (!r.isSuccess()) {
            io.err << c.name << ": " << endpoint->key() << ": " << r.describe() << "\n";
            return cli::Invalid;
        }
        auto page = TaskJson::decodePage(r.body);
        if (!page) {
            io.err << c.name << ": " << endpoint->key()
                   << ": malformed answer: " << page.error().message << "\n";
            return cli::Invalid;
        }
        if (page->more && (page->cursor == cursor || cursorsSeen.contains(page->cursor))) {
            io.err << c.name << ": " << endpoint->key() << ": the endpoint misbehaves: cursor "
                   << page->cursor << " did not advance while more is true (after " << count
                   << " tasks)\n";
            return cli::Invalid;
        }
        cursorsSeen.insert(page->cursor);
        for (const RemoteTask &t : page->tasks) {
            ++count;
            if (c.parser.isSet(QStringLiteral("json")))
                io.out << QJsonDocument(TaskJson::toJson(t)).toJson(QJsonDocument::Compact) << "\n";
            else
                io.out << QStringLiteral("%1  %2  %3  %4  %5\n")
                              .arg(t.id, -28)
                              .arg(t.type.left(16), -16)
                              .arg(toText(t.state), -10)
                              .arg(t.attempt, 7)
                              .arg(t.version);
        }
        cursor = page->cursor;
        if (!page->more)
            break;
    }
    io.err << count << " tasks\n";
    return cli::Ok;
}

int RemoteCommands::act(const QStringList &args, cli::Streams io, ActionKind kind)
{
    Common c;
    c.name = kind == ActionKind::OperatorCancel  ? QStringLiteral("reboundctl cancel")
             : kind == ActionKind::AbortOperator ? QStringLiteral("reboundctl abort")
                                                 : QStringLiteral("reboundctl retry");
    if (!parseCommon(c, args, io, {}))
        return usageOrHelp(c);
    if (c.parser.positionalArguments().size() != 1) {
        io.err << c.name << ": expected exactly one task ID\n";
        return cli::Usage;
    }
    const QString id = c.parser.positionalArguments().first();
    const auto endpoint = endpointFrom(c, io);
    if (!endpoint)
        return cli::Usage;
    SystemClock clock;
    SeededRandom rng(QRandomGenerator::system()->generate64());
    EndpointClient client(*endpoint, clock, rng);
    const ApiResponse got = call(client, TaskApi::getTask(id));
    if (!got.isSuccess()) {
        io.err << c.name << ": " << id << ": " << got.describe() << "\n";
        return cli::Invalid;
    }
    const auto task = TaskJson::decodeTask(got.body);
    if (!task) {
        io.err << c.name << ": " << id << ": malformed answer: " << task.error().message << "\n";
        return cli::Invalid;
    }
    int attempt = task->attempt;
    if (kind == ActionKind::AbortOperator) {
        if (!task->lastAttempt || task->lastAttempt->outcome != AttemptOutcome::Running) {
            io.err << c.name << ": " << id << ": no attempt of this task is running\n";
            return cli::Invalid;
        }
        attempt = task->lastAttempt->number;
    }
    // The same entry (key, body, If-Match) a console would build: a console and this command
    // acting on the same attempt are one action to the service.
    const OutboxEntry e = ActionOutbox::make(endpoint->key(), *task, kind, attempt);
    const ApiResponse r = call(client, ActionOutbox::request(e));
    if (!r.isSuccess()) {
        QString why = r.describe();
        if (r.status == 412)
            why = QStringLiteral(
                "someone else changed the task first; look at it again (reboundctl tasks)");
        else if (r.status == 409)
            why = QStringLiteral("the task's state does not allow this (%1)")
                      .arg(r.problem() ? r.problem()->detail : r.describe());
        io.err << c.name << ": " << id << ": " << why << "\n";
        return cli::Invalid;
    }
    const auto after = TaskJson::decodeTask(r.body);
    io.out << id << ": " << (after ? toText(after->state) : QStringLiteral("ok")) << ", attempt "
           << (after ? after->attempt : 0) << "\n";
    return cli::Ok;
}

int RemoteCommands::watch(const QStringList &args, cli::Streams io)
{
    Common c;
    c.name = QStringLiteral("reboundctl watch");
    if (!parseCommon(
            c, args, io,
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
        return usageOrHelp(c);
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
    const auto endpoint = endpointFrom(c, io);
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
         {QStringLiteral("otlp"), run.spans() ? run.spans()->url().toString() : QStringLiteral("off")},
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
        QObject::connect(&member->session(), &EtcdSession::stateChanged, qApp,
                         [&e, &endpoint, s = &member->session()] {
                             if (s->state() == EtcdSession::State::Live &&
                                 !e.orchestrator->poller(endpoint->key()))
                                 e.orchestrator->addEndpoint(*endpoint);
                         });
        member->start();
    } else {
        e.orchestrator->addEndpoint(*endpoint);
    }
    if (duration >= 0)
        QTimer::singleShot(static_cast<int>(duration * 1000), qApp, &QCoreApplication::quit);
    QCoreApplication::exec();
    run.shutdown();
    const OtlpExporter *spans = run.spans();
    JsonLog::event(lcEngine, QtInfoMsg, QStringLiteral("watch_stopped"),
                   {{QStringLiteral("scheduled"), qint64(e.orchestrator->scheduledCount())},
                    {QStringLiteral("spans_exported"), spans ? qint64(spans->exported()) : 0},
                    {QStringLiteral("spans_dropped"), spans ? qint64(spans->dropped()) : 0}});

    return cli::Ok;
}

int RemoteCommands::exportCsv(const QStringList &args, cli::Streams io)
{
    Common c;
    c.name = QStringLiteral("reboundctl export");
    if (!parseCommon(
            c, args, io,
            {{QStringLiteral("db"), QStringLiteral("History database."), QStringLiteral("FILE")},
             {QStringLiteral("out"), QStringLiteral("CSV file to write (- for stdout)."),
              QStringLiteral("FILE")},
             {QStringLiteral("since"), QStringLiteral("Attempts started at or after (RFC 3339)."),
              QStringLiteral("T")},
             {QStringLiteral("until"), QStringLiteral("Attempts started before (RFC 3339)."),
              QStringLiteral("T")},
             {QStringLiteral("type"), QStringLiteral("Only this task type."), QStringLiteral("T")},
             {QStringLiteral("outcome"), QStringLiteral("running|succeeded|failed|timeout."),
              QStringLiteral("O")}},
            false))
        return usageOrHelp(c);
    if (!c.parser.isSet(QStringLiteral("db")) || !c.parser.isSet(QStringLiteral("out"))) {
        io.err << c.name << ": --db FILE and --out FILE are required\n";
        return cli::Usage;
    }
    ExportFilter f;
    for (const char *opt : {"since", "until"}) {
        const QString name = QString::fromLatin1(opt);
        if (!c.parser.isSet(name))
            continue;
        const auto ms = Rfc3339::parse(c.parser.value(name));
        if (!ms) {
            io.err << c.name << ": --" << name << ": '" << c.parser.value(name)
                   << "' is not an RFC 3339 time (e.g. 2026-11-26T08:00:00Z)\n";
            return cli::Usage;
        }
        (name == QLatin1String("since") ? f.sinceWallMs : f.untilWallMs) = *ms;
    }
    f.taskType = c.parser.value(QStringLiteral("type"));
    if (c.parser.isSet(QStringLiteral("outcome"))) {
        f.outcome = attemptOutcomeFromText(c.parser.value(QStringLiteral("outcome")));
        if (!f.outcome) {
            io.err << c.name << ": --outcome: expected running, succeeded, failed or timeout\n";
            return cli::Usage;
        }
    }
    const QString dbPath = c.parser.value(QStringLiteral("db"));
    if (!QFile::exists(dbPath)) {
        io.err << c.name << ": --db " << dbPath << ": no such file\n";
        return cli::Usage;
    }
    auto history = HistoryStore::open(dbPath);
    if (!history) {
        io.err << c.name << ": " << history.error().message << "\n";
        return cli::Invalid;
    }
    const QString outPath = c.parser.value(QStringLiteral("out"));
    Result<std::int64_t> rows = std::int64_t(0);
    if (outPath == QLatin1String("-")) {
        QFile out;
        (void)out.open(stdout, QIODevice::WriteOnly);
        rows = (*history)->exportCsv(out, f);
    } else {
        QSaveFile out(outPath); // all or nothing: no half-written CSV on failure
        if (!out.open(QIODevice::WriteOnly)) {
            io.err << c.name << ": --out " << outPath << ": " << out.errorString() << "\n";
            return cli::Usage;
        }
        rows = (*history)->exportCsv(out, f);
        if (rows && !out.commit()) {
            io.err << c.name << ": --out " << outPath << ": " << out.errorString() << "\n";
            return cli::Invalid;
        }
    }
    if (!rows) {
        io.err << c.name << ": " << rows.error().message << "\n";
        return cli::Invalid;
    }
    io.err << *rows << " rows\n";
    return cli::Ok;
}
