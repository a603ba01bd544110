#pragma once

#include "CliError.h"

#include <QStringList>

/// `reboundctl schedule`: prints the retry delays a backoff configuration produces, as CSV
/// `sample,retry,delay_ms`, reproducible from --seed.
class ScheduleCommand final
{
public:
    static int run(const QStringList &args, cli::Streams io);
};
