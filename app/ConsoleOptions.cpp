#include "ConsoleOptions.h"

#include "Keychain.h"
#include "remote/EndpointConfig.h"
#include "support/SecretSource.h"

#include <QCommandLineParser>
#include <QSettings>
#include <QStandardPaths>

#include <algorithm>

using namespace rebound;

rebound::Result<ConsoleOptions> ConsoleOptions::parse(const QCoreApplication &app)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Operator console for retrying remote asynchronous tasks."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption demo(QStringLiteral("demo"),
                                  QStringLiteral("Run against a built-in demo service."));
    const QCommandLineOption policies(
        QStringLiteral("policies"),
        QStringLiteral("Policy file (default: in the app data directory)."),
        QStringLiteral("FILE"));
    const QCommandLineOption db(
        QStringLiteral("db"),
        QStringLiteral("History database (default: in the app data directory)."),
        QStringLiteral("FILE"));
    const QCommandLineOption quitAfter(
        QStringLiteral("quit-after-ms"),
        QStringLiteral("Close after this many ms (smoke tests, screenshots)."),
        QStringLiteral("MS"));
    const QCommandLineOption screenshots(
        QStringLiteral("screenshots"),
        QStringLiteral("With --quit-after-ms: save main-window.png, charts.png, fleet.png (in "
                       "fleet mode) and policy-editor.png into DIR."),
        QStringLiteral("DIR"));
    const QCommandLineOption urlOf(
        QStringLiteral("url"),
        QStringLiteral("Watch this Task API service (token from REBOUND_TOKEN, else the OS "
                       "keychain) instead of the remembered endpoints."),
        QStringLiteral("URL"));
    parser.addOptions({demo, policies, db, quitAfter, screenshots, urlOf});
    parser.addOptions(RuntimeOptions::commandLine());
    parser.process(app);

    ConsoleOptions o;
    auto runtime = RuntimeOptions::from(
        parser, {QStringLiteral("console-"),
                 QSettings().value(QStringLiteral("telemetry/otlpEndpoint")).toString(),
                 parser.isSet(policies)});
    if (!runtime)
        return runtime.error();
    o.runtime = *runtime;
    o.warnings = o.runtime.warnings;
    if (parser.isSet(quitAfter)) {
        bool ok = false;
        const int ms = parser.value(quitAfter).toInt(&ok);
        if (!ok || ms < 0)
            return Error{QStringLiteral("usage"),
                         QStringLiteral("--quit-after-ms: '%1' is not a non-negative whole number")
                             .arg(parser.value(quitAfter))};
        o.quitAfterMs = ms;
    }
    o.screenshotsDir = parser.value(screenshots);
    // --url's token, before any window: REBOUND_TOKEN, else the keychain entry the endpoints
    // dialog keeps (none: the service answers 401, which the console shows).
    if (parser.isSet(urlOf)) {
        o.url = parser.value(urlOf);
        EndpointConfig e;
        e.baseUrl = QUrl(o.url);
        const auto found =
            SecretSource::resolve({}, {}, qgetenv("REBOUND_TOKEN"), e.key(), Keychain::lookup());
        if (found)
            o.urlToken = found->secret;
        else
            o.warnings << QStringLiteral("--url: no token: %1").arg(found.error().message);
    }
    o.demo = parser.isSet(demo);
    const QString data = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    if (o.demo) // the demo keeps its history out of the real one
        o.demoDir = std::make_shared<QTemporaryDir>();
    const auto inData = [&](const QString &name) {
        return o.demo ? o.demoDir->filePath(name) : data + u'/' + name;
    };
    // Fleet mode keeps no policy file: the config centre is the one source.
    o.policyPath = o.runtime.etcd           ? QString()
                   : parser.isSet(policies) ? parser.value(policies)
                                            : inData(QStringLiteral("policies.json"));
    o.dbPath = parser.isSet(db) ? parser.value(db) : inData(QStringLiteral("history.sqlite"));
    // History older than the retention is purged (hourly), as `reboundctl watch` does.
    o.retentionDays = std::clamp(
        QSettings().value(QStringLiteral("history/retentionDays"), 30).toInt(), 0, 36'500);
    return o;
}
