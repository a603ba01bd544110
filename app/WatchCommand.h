#pragma once

#include "CliError.h"

#include <QStringList>

/// `reboundctl watch`: the headless engine on one service, alone or as a fleet member, its log
/// as JSON lines on stdout.
class WatchCommand final
{
public:
    static int run(const QStringList &args, cli::Streams io);
};
