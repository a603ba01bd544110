#pragma once

#include "CliError.h"

#include <QStringList>

/// `reboundctl tasks`: the tasks of a Task API service, a line (or a JSON object) each.
class TasksCommand final
{
public:
    static int run(const QStringList &args, cli::Streams io);
};
