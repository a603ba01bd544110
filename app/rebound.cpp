// rebound: the operator console.
#include "ConsoleEndpoints.h"
#include "ConsoleOptions.h"
#include "CredentialStore.h"
#include "FleetPane.h"
#include "MainWindow.h"
#include "Runtime.h"
#include "ScreenshotTour.h"
#include "StopSignals.h"
#include "engine/Engine.h"
#include "fleet/FleetMember.h"
#include "fleet/FleetSession.h"
#include "fleet/PolicyPublisher.h"

#include <QApplication>
#include <QFile>
#include <QMessageBox>
#include <QTimer>

using namespace rebound;

namespace {

int cannotStart(const QString &what, const QString &why)
{
    QMessageBox::critical(nullptr, QStringLiteral("Rebound"), what.arg(why));
    return 1;
}

/// The Fleet dock, and Publish in the policy editor going to the config centre.
void showFleet(MainWindow &window, FleetMember &member, PolicyStore &policies)
{
    auto *pane = new FleetPane(member.store(), member.keys(), member.feed(), policies);
    pane->setBudget(member.budget());
    window.setFleet(pane, [&member](const QByteArray &document,
                                    std::function<void(Result<std::int64_t>)> done) {
        PolicyPublisher::publish(member.store(), member.keys(), document, std::move(done));
    });
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

    const auto options = ConsoleOptions::parse(app);
    if (!options) {
        qCritical("rebound: %s", qPrintable(options.error().message));
        return 2;
    }
    for (const QString &warning : options->warnings)
        qWarning("rebound: %s", qPrintable(warning));
    QFile defaults(QStringLiteral(":/rebound/default-policies.json"));
    defaults.open(QIODevice::ReadOnly);
    auto console = Engine::open(
        {options->policyPath, defaults.readAll(), options->dbPath, options->retentionDays});
    if (!console)
        return cannotStart(QObject::tr("Rebound cannot start:\n%1"), console.error().message);
    Engine &engine = **console;
    // The same metrics, spans and fleet membership as `reboundctl watch`.
    Runtime runtime(engine, options->runtime, QStringLiteral("rebound"));
    if (auto listening = runtime.listen(); !listening)
        return cannotStart(QObject::tr("Rebound cannot serve metrics:\n%1"),
                           listening.error().message);
    CredentialStore credentials;
    MainWindow window(engine.access(), options->demo ? QStringLiteral("demo") : QString());
    ConsoleEndpoints endpoints(*options, *engine.orchestrator, credentials, &window);
    // Closing the window, Ctrl-C and SIGTERM stop the same way: out of the fleet at once, spans
    // sent, history written; then the application quits.
    QApplication::setQuitOnLastWindowClosed(false);
    QObject::connect(&app, &QGuiApplication::lastWindowClosed, &app, [&runtime, &endpoints] {
        endpoints.close();
        runtime.stop([] { QApplication::quit(); });
    });
    StopSignals stopSignals;
    bool stopping = false; // a signal before the window is shown (the first-run dialog is up)
    QObject::connect(&stopSignals, &StopSignals::stopRequested, &window, [&](int) {
        stopping = true;
        if (QWidget *modal = QApplication::activeModalWidget())
            modal->close();
        if (window.isVisible())
            window.close();
    });

    if (FleetMember *member = runtime.fleet()) {
        showFleet(window, *member, engine.policies);
        // In fleet mode nothing is watched (so nothing decided) before the config centre has
        // been read.
        QObject::connect(&member->session(), &FleetSession::stateChanged, &window,
                         [&endpoints, member, started = false]() mutable {
                             if (started || member->session().state() != FleetSession::State::Live)
                                 return;
                             started = true;
                             if (!endpoints.add())
                                 QApplication::exit(1);
                         });
        member->start();
    } else if (!endpoints.add()) {
        return 1;
    }
    if (stopping)
        return 0; // nothing started that needs stopping: the runtime's destructor ends it
    window.show();
    ScreenshotTour tour(window, engine.policies, options->screenshotsDir);
    if (options->quitAfterMs) {
        QTimer::singleShot(*options->quitAfterMs, &app, [&] {
            // Closing stops the application as when an operator closes the window.
            if (options->screenshotsDir.isEmpty())
                window.close();
            else
                tour.run([&window] { window.close(); });
        });
    }
    return QApplication::exec();
}
