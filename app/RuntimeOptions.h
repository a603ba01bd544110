#pragma once

#include "fleet/EtcdAccess.h"
#include "fleet/FleetMember.h"
#include "support/Result.h"

#include <QCommandLineOption>
#include <QHostAddress>
#include <QList>
#include <QPair>
#include <QString>
#include <QUrl>

#include <optional>

class QCommandLineParser;

/// What `rebound` and `reboundctl watch` run beside the engine, from one set of command-line
/// options read in one place: the metrics endpoint, the OTLP exporter, and fleet membership
/// (etcd, shards, lease, Redis). Each flag is checked here, with the same words for both.
struct RuntimeOptions
{
    /// Differences between the two programs.
    struct Defaults
    {
        QString memberPrefix;       ///< before HOST-PID in the default member id ("console-" or "")
        QString otlpFallback;       ///< the OTLP endpoint when --otlp-endpoint is not given
        bool policiesGiven = false; ///< --policies was given (refused together with --etcd)
    };

    std::optional<QPair<QHostAddress, quint16>> metricsAt; ///< nothing: no metrics endpoint
    QUrl otlp;                                             ///< empty: no spans exported
    std::optional<rebound::EtcdAccess> etcd;               ///< nothing: not in a fleet
    rebound::FleetMember::Config fleet;                    ///< read when etcd is set
    QStringList warnings; ///< said, not fatal (e.g. where a password came from)

    /// The options both programs take (add them to the parser before processing it).
    static QList<QCommandLineOption> commandLine();
    /// Reads and checks those options; an error names the flag and what it expects.
    static rebound::Result<RuntimeOptions> from(const QCommandLineParser &parser,
                                                const Defaults &defaults);
};
