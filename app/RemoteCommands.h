#pragma once

#include "engine/ActionOutbox.h"

#include "CliError.h"

#include <QStringList>

/// `reboundctl watch|tasks|retry|cancel|abort|export`: the headless orchestrator and the remote
/// operator commands.
class RemoteCommands final
{
public:
    static int watch(const QStringList &args, cli::Streams io);
    static int tasks(const QStringList &args, cli::Streams io);
    /// retry, cancel and abort: one operator action on one task.
    static int act(const QStringList &args, cli::Streams io, rebound::ActionKind kind);
    static int exportCsv(const QStringList &args, cli::Streams io);
};
