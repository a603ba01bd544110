#pragma once

#include "RuntimeOptions.h"
#include "support/Result.h"

#include <QByteArray>
#include <QString>
#include <QTemporaryDir>

#include <memory>
#include <optional>

class QCoreApplication;

/// The console's command line, read and checked in one place: where its policies and history
/// live (the demo keeps its own in a temporary directory), what it watches, the smoke-test and
/// screenshot switches, and what it runs beside the engine (RuntimeOptions).
struct ConsoleOptions
{
    bool demo = false;
    QString policyPath; ///< empty in a fleet: the config centre is the one source
    QString dbPath;
    int retentionDays = 30;
    QString url;         ///< --url: watch this service instead of the remembered endpoints
    QByteArray urlToken; ///< its token (REBOUND_TOKEN, else the keychain; empty: none found)
    std::optional<int> quitAfterMs;
    QString screenshotsDir;
    RuntimeOptions runtime;
    QStringList warnings;
    std::shared_ptr<QTemporaryDir> demoDir; ///< the demo's files, removed at exit

    /// Processes `app`'s arguments (--help and --version end the process, as Qt's do); an
    /// error names the flag at fault.
    static rebound::Result<ConsoleOptions> parse(const QCoreApplication &app);
};
