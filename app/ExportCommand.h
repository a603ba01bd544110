#pragma once

#include "CliError.h"

#include <QStringList>

/// `reboundctl export`: the history's attempts as CSV, filtered.
class ExportCommand final
{
public:
    static int run(const QStringList &args, cli::Streams io);
};
