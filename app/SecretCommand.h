#pragma once

#include "CliError.h"

#include <QStringList>

/// `reboundctl secret store|forget`: puts a Task API token, an etcd user's password or Redis's
/// password into the OS keychain (or removes it), under the entry the commands and the console
/// look for. The secret comes from standard input, never argv.
class SecretCommand final
{
public:
    static int run(const QStringList &args, cli::Streams io);
};
