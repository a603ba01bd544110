#pragma once

#include "engine/EngineCommands.h"
#include "engine/EngineView.h"
#include "policy/PolicyStore.h"
#include "time/Clock.h"

namespace rebound {

/// What the console is handed of a running engine: its view, its commands, the policies an
/// operator edits, the clock the engine runs on and where its history lives (for export).
struct EngineAccess
{
    EngineView &view;
    EngineCommands &commands;
    PolicyStore &policies;
    const Clock &clock;
    QString historyPath;
};

} // namespace rebound
