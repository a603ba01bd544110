// rebound: the operator console.
#include "CredentialStore.h"
#include "DemoService.h"
#include "EndpointsDialog.h"
#include "FleetPane.h"
#include "Keychain.h"
#include "MainWindow.h"
#include "PolicyEditorDialog.h"
#include "Runtime.h"
#include "StopSignals.h"
#include "engine/Engine.h"
#include "fleet/FleetMember.h"
#include "fleet/FleetSession.h"
#include "fleet/HttpEtcdWire.h"
#include "fleet/PolicyFeed.h"
#include "fleet/PolicyPublisher.h"
#include "support/SecretSource.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDockWidget>
#include <QEventLoop>
#include <QFile>
#include <QMessageBox>
#include <QScreen>
#include <QSettings>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QTimer>

using namespace rebound;

namespace {

/// Lets the event loop run for `ms` (the screenshots wait for what they show to arrive).
void waitMs(int ms)
{
    QEventLoop loop;
    QTimer::singleShot(ms, &loop, &QEventLoop::quit);
    loop.exec();
}

} // namespace

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("Rebound"));
    QApplication::setOrganizationName(QStringLiteral("Rebound"));
    QApplication::setApplicationVersion(QStringLiteral(REBOUND_VERSION));
    QApplication::setDesktopFileName(QStringLiteral("rebound"));
    Q_INIT_RESOURCE(ui);

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
    auto options = RuntimeOptions::from(
        parser, {QStringLiteral("console-"),
                 QSettings().value(QStringLiteral("telemetry/otlpEndpoint")).toString(),
                 parser.isSet(policies)});
    if (!options) {
        qCritical("rebound: %s", qPrintable(options.error().message));
        return 2;
    }
    for (const QString &warning : std::as_const(options->warnings))
        qWarning("rebound: %s", qPrintable(warning));
    const bool inFleet = options->etcd.has_value();
    // --url's token, before any window: REBOUND_TOKEN, else the keychain entry the endpoints
    // dialog keeps (none: the service answers 401, which the console shows).
    QByteArray urlToken;
    if (parser.isSet(urlOf)) {
        EndpointConfig e;
        e.baseUrl = QUrl(parser.value(urlOf));
        const auto found =
            SecretSource::resolve({}, {}, qgetenv("REBOUND_TOKEN"), e.key(), Keychain::lookup());
        if (found)
            urlToken = found->secret;
        else
            qWarning("rebound: --url: no token: %s", qPrintable(found.error().message));
    }
    const QString data = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    QTemporaryDir demoDir; // the demo keeps its history out of the real one
    const bool isDemo = parser.isSet(demo);
    // Fleet mode keeps no policy file: the config centre is the one source.
    const QString policyPath = inFleet ? QString()
                               : parser.isSet(policies)
                                   ? parser.value(policies)
                                   : (isDemo ? demoDir.filePath(QStringLiteral("policies.json"))
                                             : data + QStringLiteral("/policies.json"));
    const QString dbPath = parser.isSet(db)
                               ? parser.value(db)
                               : (isDemo ? demoDir.filePath(QStringLiteral("history.sqlite"))
                                         : data + QStringLiteral("/history.sqlite"));
    QFile defaults(QStringLiteral(":/rebound/default-policies.json"));
    defaults.open(QIODevice::ReadOnly);
    // History older than the retention is purged (hourly), as `reboundctl watch` does.
    const int retentionDays = std::clamp(
        QSettings().value(QStringLiteral("history/retentionDays"), 30).toInt(), 0, 36'500);
    auto console = Engine::open({policyPath, defaults.readAll(), dbPath, retentionDays});
    if (!console) {
        QMessageBox::critical(
            nullptr, QStringLiteral("Rebound"),
            QObject::tr("Rebound cannot start:\n%1").arg(console.error().message));
        return 1;
    }
    // The same metrics, spans and fleet membership as `reboundctl watch`. Declared before the
    // window, so it shuts down (leaves the fleet, sends queued spans) after the window is gone.
    Runtime runtime(**console, *options, QStringLiteral("rebound"));
    if (auto listening = runtime.listen(); !listening) {
        QMessageBox::critical(
            nullptr, QStringLiteral("Rebound"),
            QObject::tr("Rebound cannot serve metrics:\n%1").arg(listening.error().message));
        return 1;
    }
    CredentialStore credentials;
    std::unique_ptr<taskd::DemoService> demoService;
    MainWindow window((*console)->access(), isDemo ? QStringLiteral("demo") : QString());
    // Closing the window, Ctrl-C and SIGTERM stop the same way: out of the fleet at once, spans
    // sent, history written; then the application quits.
    QApplication::setQuitOnLastWindowClosed(false);
    QObject::connect(&app, &QGuiApplication::lastWindowClosed, &app,
                     [&runtime] { runtime.stop([] { QApplication::quit(); }); });
    StopSignals stopSignals;
    QObject::connect(&stopSignals, &StopSignals::stopRequested, &window, &QWidget::close);

    FleetMember *fleetMember = runtime.fleet();
    if (fleetMember) {
        auto *pane = new FleetPane(fleetMember->store(), fleetMember->keys(), fleetMember->feed(),
                                   (*console)->policies);
        pane->setBudget(fleetMember->budget());
        window.setFleet(pane, [fleetMember](const QByteArray &document,
                                            std::function<void(Result<std::int64_t>)> done) {
            PolicyPublisher::publish(fleetMember->store(), fleetMember->keys(), document,
                                     std::move(done));
        });
    }
    // In fleet mode nothing is decided before the config centre has been read.
    const auto addEndpoints = [&] {
        if (parser.isSet(urlOf)) {
            const auto base =
                EndpointConfig::parseBaseUrl(parser.value(urlOf), QStringLiteral("--url"));
            if (!base) {
                QMessageBox::critical(nullptr, QStringLiteral("Rebound"), base.error().message);
                return false;
            }
            EndpointConfig e;
            e.baseUrl = *base;
            e.token = urlToken;
            (*console)->orchestrator->addEndpoint(e);
        } else if (isDemo) {
            demoService = std::make_unique<taskd::DemoService>(3.0);
            const auto url = demoService->start();
            if (!url) {
                QMessageBox::critical(
                    nullptr, QStringLiteral("Rebound"),
                    QObject::tr("The demo service could not start: %1").arg(url.error().message));
                return false;
            }
            EndpointConfig e;
            e.baseUrl = *url;
            e.token = demoService->token();
            (*console)->orchestrator->addEndpoint(e);
        } else {
            const auto endpoints = EndpointsDialog::remembered();
            if (endpoints.isEmpty()) {
                EndpointsDialog dialog(credentials, &window);
                if (dialog.exec() == QDialog::Accepted)
                    (*console)->orchestrator->addEndpoint(dialog.endpoint());
            }
            for (const auto &[url, caFile] : endpoints) {
                credentials.read(url, [&console, url, caFile](bool ok, const QByteArray &token,
                                                              const QString &) {
                    EndpointConfig e;
                    e.baseUrl = QUrl(url);
                    e.token = ok ? token : qgetenv("REBOUND_TOKEN");
                    if (!caFile.isEmpty()) {
                        QFile f(caFile);
                        if (f.open(QIODevice::ReadOnly))
                            e.caCertificates = QSslCertificate::fromData(f.readAll(), QSsl::Pem);
                    }
                    (*console)->orchestrator->addEndpoint(e);
                });
            }
        }
        return true;
    };
    if (fleetMember) {
        QObject::connect(&fleetMember->session(), &FleetSession::stateChanged, &window,
                         [&, started = false]() mutable {
                             if (started ||
                                 fleetMember->session().state() != FleetSession::State::Live)
                                 return;
                             started = true;
                             if (!addEndpoints())
                                 QApplication::exit(1);
                         });
        fleetMember->start();
    } else if (!addEndpoints()) {
        return 1;
    }
    window.show();
    if (parser.isSet(quitAfter)) {
        bool ok = false;
        const int ms = parser.value(quitAfter).toInt(&ok);
        if (!ok || ms < 0) {
            qCritical("--quit-after-ms: '%s' is not a non-negative whole number",
                      qPrintable(parser.value(quitAfter)));
            return 2;
        }
        QTimer::singleShot(ms, &app, [&] {
            if (parser.isSet(screenshots)) {
                // Named after the screen they were taken on (run under xvfb-run at each size);
                // the task most in need of attention is selected, as an operator would.
                const QString dir = parser.value(screenshots);
                const QSize screen = window.screen()->size();
                const QString size =
                    QStringLiteral("%1x%2").arg(screen.width()).arg(screen.height());
                if (auto *table = window.findChild<QTableView *>(QStringLiteral("taskTable"));
                    table && table->model()->rowCount() > 0)
                    table->selectRow(0);
                QApplication::processEvents();
                waitMs(1500); // the Attempts pane loads the attempts
                window.grab().save(dir + QStringLiteral("/main-window-%1.png").arg(size));
                if (window.findChild<QWidget *>(QStringLiteral("chartsPane"))) {
                    if (auto *dock = window.findChild<QDockWidget *>(QStringLiteral("chartsDock")))
                        dock->raise();
                    QApplication::processEvents();
                    waitMs(600);
                    window.grab().save(dir + QStringLiteral("/charts-%1.png").arg(size));
                }
                if (auto *dock = window.findChild<QDockWidget *>(QStringLiteral("fleetDock"))) {
                    dock->raise();
                    QApplication::processEvents();
                    waitMs(600);
                    window.grab().save(dir + QStringLiteral("/fleet-%1.png").arg(size));
                }
                PolicyEditorDialog editor((*console)->policies, &window);
                editor.show();
                QApplication::processEvents();
                editor.grab().save(dir + QStringLiteral("/policy-editor-%1.png").arg(size));
            }
            window.close(); // and the application stops as when an operator closes it
        });
    }
    return QApplication::exec();
}
