#pragma once

// Test helper: an orchestrator with its own policy file and database, as a console would have,
// on the real clocks (whose wall time a test may shift to simulate a clock jump).
#include "engine/Engine.h"
#include "time/QtTimerSource.h"
#include "time/SeededRandom.h"
#include "time/SystemClock.h"

#include <QFile>

#include <atomic>
#include <memory>

/// The system clocks, with an adjustable offset on the wall clock only: a wall-clock jump
/// (NTP step, an operator fixing the time) leaves steady time alone.
class ShiftableClock final : public rebound::Clock
{
public:
    rebound::SteadyTime steadyNow() const override { return m_system.steadyNow(); }
    std::int64_t wallNowMs() const override { return m_system.wallNowMs() + m_offsetMs.load(); }
    void jumpWall(std::int64_t ms) { m_offsetMs += ms; }

private:
    rebound::SystemClock m_system;
    std::atomic<std::int64_t> m_offsetMs{0};
};

/// The engine as the console assembles it (Engine::open), on clocks a test can shift.
struct OrchestratorFixture
{
    OrchestratorFixture(const QString &url, const QByteArray &policyJson, const QString &dir,
                        const QString &name)
        : timers(clock), rng(qHash(name)),
          engine(open(dir + u'/' + name, policyJson, clock, timers, rng)),
          policies(engine->policies), history(engine->history),
          orchestrator(engine->orchestrator)
    {
        endpoint.baseUrl = QUrl(url);
        endpoint.token = "test-token-123";
    }
    void start(int minPollMs = 100, int maxPollMs = 400)
    {
        orchestrator->addEndpoint(endpoint);
        orchestrator->poller(endpoint.key())
            ->setIntervals(rebound::Duration(minPollMs), rebound::Duration(maxPollMs));
    }

    ShiftableClock clock;
    rebound::QtTimerSource timers;
    rebound::SeededRandom rng;
    std::unique_ptr<rebound::Engine> engine;
    rebound::PolicyStore &policies;
    std::unique_ptr<rebound::HistoryStore> &history;
    std::unique_ptr<rebound::Orchestrator> &orchestrator;
    rebound::EndpointConfig endpoint;

private:
    static std::unique_ptr<rebound::Engine> open(const QString &base, const QByteArray &policyJson,
                                                 const rebound::Clock &clock,
                                                 rebound::TimerSource &timers,
                                                 rebound::RandomSource &rng)
    {
        QFile::remove(base + QStringLiteral("-policies.json"));
        auto e = rebound::Engine::open({base + QStringLiteral("-policies.json"), policyJson,
                                        base + QStringLiteral(".sqlite"), 0},
                                       clock, timers, rng);
        if (!e)
            qFatal("invalid test engine: %s", qPrintable(e.error().message));
        return std::move(e).value();
    }
};

/// One policy "p" with fixed (jitter-free) exponential backoff, multiplier 2.
inline QByteArray fixedBackoffPolicy(int maxAttempts, int initialMs, int capMs,
                                     const QByteArray &extra = {})
{
    return QStringLiteral(
               R"({"version":1,"policies":[{"name":"p","backoff":{"initialDelayMs":%1,"maxDelayMs":%2,"maxAttempts":%3,"multiplier":2,"jitter":"none"}%4}]})")
        .arg(initialMs)
        .arg(capMs)
        .arg(maxAttempts)
        .arg(QString::fromUtf8(extra))
        .toUtf8();
}
