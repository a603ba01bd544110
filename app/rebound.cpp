// rebound: the operator console.
#include "MainWindow.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QTimer>

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("Rebound"));
    QApplication::setOrganizationName(QStringLiteral("Rebound"));
    QApplication::setApplicationVersion(QStringLiteral(REBOUND_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Operator console for retrying remote asynchronous tasks."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption demo(QStringLiteral("demo"),
                                  QStringLiteral("Run against the built-in demo service."));
    const QCommandLineOption quitAfter(
        QStringLiteral("quit-after-ms"),
        QStringLiteral("Close the window after this many ms (smoke tests)."), QStringLiteral("MS"));
    parser.addOption(demo);
    parser.addOption(quitAfter);
    parser.process(app);

    rebound::MainWindow window(parser.isSet(demo) ? QStringLiteral("demo") : QString());
    window.show();
    if (parser.isSet(quitAfter)) {
        bool ok = false;
        const int ms = parser.value(quitAfter).toInt(&ok);
        if (!ok || ms < 0) {
            qCritical("--quit-after-ms: '%s' is not a non-negative whole number",
                      qPrintable(parser.value(quitAfter)));
            return 2;
        }
        QTimer::singleShot(ms, &app, &QApplication::quit);
    }
    return app.exec();
}
