#pragma once

#include "HistoryStore.h"
#include "Orchestrator.h"
#include "PolicyStore.h"
#include "QtTimerSource.h"
#include "SeededRandom.h"
#include "SystemClock.h"

#include <memory>

namespace rebound {

/// The core objects one console window works with, created in the right order.
class Console final
{
public:
    /// Opens (creating when missing) the policy file and the history database.
    static Result<std::unique_ptr<Console>>
    open(const QString &policyPath, const QString &databasePath, const QByteArray &defaultPolicy);
    ~Console();

    SystemClock clock;
    QtTimerSource timers{clock};
    SeededRandom rng;
    PolicyStore policies{clock};
    std::unique_ptr<HistoryStore> history;
    std::unique_ptr<Orchestrator> orchestrator;

private:
    Console();
};

} // namespace rebound
