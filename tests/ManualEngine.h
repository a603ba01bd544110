#pragma once

// Test helper: the engine as the applications assemble it (Engine::open), on a manual clock
// and a scripted random source, from a policy document, with its files in a temporary
// directory. Unit suites feed it with ingest() or a fake transport and move the clock.
#include "ScriptedRandom.h"
#include "engine/Engine.h"
#include "time/ManualClock.h"

#include <QTemporaryDir>

#include <memory>

class ManualEngine
{
public:
    explicit ManualEngine(const QByteArray &policy, rebound::TransportFactory transports = {},
                          std::int64_t wallStartMs = 1'767'225'600'000)
        : clock(rebound::SteadyTime(rebound::Duration(1'000'000)), wallStartMs), m_policy(policy),
          m_transports(std::move(transports))
    {
        restart();
    }
    /// Opens the engine (again, after a crash or a restart): the same files, clock and
    /// transports; what it knew comes back from its history.
    void restart()
    {
        engine.reset();
        auto e = rebound::Engine::open({dir.filePath(QStringLiteral("policies.json")), m_policy,
                                        dir.filePath(QStringLiteral("h.sqlite")), 0},
                                       clock, clock, rng, m_transports);
        if (!e)
            qFatal("ManualEngine: %s", qPrintable(e.error().message));
        engine = std::move(e).value();
    }

    rebound::Orchestrator &orchestrator() { return *engine->orchestrator; }
    rebound::HistoryStore &history() { return *engine->history; }
    rebound::PolicyStore &policies() { return engine->policies; }

    QTemporaryDir dir;
    rebound::ManualClock clock;
    ScriptedRandom rng{{0.5}};
    std::unique_ptr<rebound::Engine> engine;

private:
    QByteArray m_policy;
    rebound::TransportFactory m_transports;
};
