#pragma once

#include "CliError.h"

#include <QStringList>

/// `reboundctl watch|tasks|retry|cancel|export`: the headless orchestrator and the remote
/// operator commands.
class RemoteCommands final
{
public:
    static int watch(const QStringList &args, cli::Streams io);
    static int tasks(const QStringList &args, cli::Streams io);
    static int retry(const QStringList &args, cli::Streams io, bool cancel);
    static int exportCsv(const QStringList &args, cli::Streams io);
};
