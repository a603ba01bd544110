#pragma once

#include "CliError.h"
#include "engine/ActionOutbox.h"

#include <QStringList>

/// `reboundctl retry|cancel|abort`: one operator action on one task, with If-Match and an
/// idempotency key like the console's.
class ActionCommand final
{
public:
    static int run(const QStringList &args, cli::Streams io, rebound::ActionKind kind);
};
