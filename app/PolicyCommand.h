#pragma once

#include "CliError.h"

#include <QStringList>

/// `reboundctl policy validate|import-grpc|export-grpc`.
class PolicyCommand final
{
public:
    static int run(const QStringList &args, cli::Streams io);
};
