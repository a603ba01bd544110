#pragma once

#include "engine/EngineAccess.h"
#include "engine/Orchestrator.h"
#include "history/HistoryStore.h"
#include "policy/PolicyStore.h"
#include "time/QtTimerSource.h"
#include "time/SeededRandom.h"
#include "time/SystemClock.h"

#include <memory>

namespace rebound {

/// The one place the engine is put together: policies, history, orchestrator and the history's
/// retention purge, in the right order. The console (`rebound`) and the headless orchestrator
/// (`reboundctl watch`) both start from here, so both behave alike (both purge old history).
class Engine final
{
    Q_DISABLE_COPY_MOVE(Engine)

public:
    struct Options
    {
        QString policyPath;         ///< empty: built-in defaults for every task type
        QByteArray createPolicyWith; ///< written to policyPath when it is missing (else: error)
        QString databasePath;
        int retentionDays = 30; ///< attempts older than this are purged (hourly); 0 keeps all
    };

    /// On the system clocks.
    static Result<std::unique_ptr<Engine>> open(const Options &options);
    /// On injected clocks, timers, randomness and transport (tests).
    static Result<std::unique_ptr<Engine>> open(const Options &options, const Clock &clock,
                                                TimerSource &timers, RandomSource &rng,
                                                TransportFactory transports = {});
    ~Engine();

    /// The engine as a console sees it (view, commands, policies, clock, history path).
    EngineAccess access()
    {
        return {*orchestrator, *orchestrator, policies, clock, history->path()};
    }

    /// Deletes attempts (and lifecycle events) older than the retention; returns how many.
    Result<int> purgeNow();

private:
    struct Owned
    {
        SystemClock clock;
        QtTimerSource timers{clock};
        SeededRandom rng;
        explicit Owned(std::uint64_t seed) : rng(seed) {}
    };
    Engine(std::unique_ptr<Owned> owned, const Clock &clock, TimerSource &timers,
           RandomSource &rng, int retentionDays);
    static Result<std::unique_ptr<Engine>> open(const Options &options, std::unique_ptr<Engine> e,
                                                TransportFactory transports);
    void schedulePurge(Duration after);

    std::unique_ptr<Owned> m_owned; ///< first: the references below may point into it

public:
    const Clock &clock;
    TimerSource &timers;
    RandomSource &rng;
    PolicyStore policies;
    std::unique_ptr<HistoryStore> history;
    std::unique_ptr<Orchestrator> orchestrator;

private:
    int m_retentionDays = 0;
    TimerId m_purgeTimer = 0;
};

} // namespace rebound
