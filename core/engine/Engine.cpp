#include "engine/Engine.h"

#include "support/JsonLog.h"

#include <QDir>
#include <QFileInfo>
#include <QRandomGenerator>
#include <QSaveFile>

namespace rebound {

namespace {
constexpr Duration kPurgeEvery{3'600'000};
constexpr std::int64_t kDayMs = 86'400'000;
} // namespace

Engine::Engine(std::unique_ptr<Owned> owned, const Clock &c, TimerSource &t, RandomSource &r,
               int retentionDays)
    : m_owned(std::move(owned)), clock(c), timers(t), rng(r), policies(c),
      m_retentionDays(retentionDays)
{
}

Engine::~Engine()
{
    if (m_purgeTimer)
        timers.cancel(m_purgeTimer);
    orchestrator.reset(); // before the history it writes to
}

Result<std::unique_ptr<Engine>> Engine::open(const Options &options)
{
    auto owned = std::make_unique<Owned>(QRandomGenerator::system()->generate64());
    Owned &o = *owned;
    std::unique_ptr<Engine> e(
        new Engine(std::move(owned), o.clock, o.timers, o.rng, options.retentionDays));
    return open(options, std::move(e), {});
}

Result<std::unique_ptr<Engine>> Engine::open(const Options &options, const Clock &clock,
                                             TimerSource &timers, RandomSource &rng,
                                             TransportFactory transports)
{
    std::unique_ptr<Engine> e(new Engine(nullptr, clock, timers, rng, options.retentionDays));
    return open(options, std::move(e), std::move(transports));
}

Result<std::unique_ptr<Engine>> Engine::open(const Options &options, std::unique_ptr<Engine> e,
                                             TransportFactory transports)
{
    if (options.retentionDays < 0 || options.retentionDays > 36'500)
        return Error{QStringLiteral("retention"),
                     QStringLiteral("retentionDays: must be whole days in 0..36500")};
    const QString &path = options.policyPath;
    if (!path.isEmpty()) {
        if (!QFileInfo::exists(path)) {
            if (options.createPolicyWith.isEmpty())
                return Error{QStringLiteral("policy-file"),
                             QStringLiteral("%1: no such file").arg(path)};
            QDir().mkpath(QFileInfo(path).absolutePath());
            QSaveFile f(path);
            if (!f.open(QIODevice::WriteOnly) ||
                f.write(options.createPolicyWith) != options.createPolicyWith.size() ||
                !f.commit())
                return Error{QStringLiteral("policy-file"),
                             QStringLiteral("%1: cannot create: %2").arg(path, f.errorString())};
        }
        if (auto r = e->policies.open(path); !r)
            return r.error();
    }
    auto h = HistoryStore::open(options.databasePath);
    if (!h)
        return h.error();
    e->history = std::move(h).value();
    e->orchestrator = std::make_unique<Orchestrator>(e->policies, *e->history, e->clock,
                                                     e->timers, e->rng, std::move(transports));
    // The first purge runs as soon as the event loop turns (a caller may still be setting up
    // its log), then hourly.
    if (e->m_retentionDays > 0)
        e->schedulePurge(Duration(0));
    return e;
}

Result<int> Engine::purgeNow()
{
    if (m_retentionDays <= 0)
        return 0;
    const auto removed =
        history->purgeBefore(clock.wallNowMs() - std::int64_t(m_retentionDays) * kDayMs);
    if (!removed)
        JsonLog::event(lcEngine, QtWarningMsg, QStringLiteral("history_purge_failed"),
                       {{QStringLiteral("cause"), removed.error().message}});
    else if (*removed > 0)
        JsonLog::event(lcEngine, QtInfoMsg, QStringLiteral("history_purged"),
                       {{QStringLiteral("attempts"), *removed},
                        {QStringLiteral("retention_days"), m_retentionDays}});
    return removed;
}

void Engine::schedulePurge(Duration after)
{
    m_purgeTimer = timers.schedule(clock.steadyNow() + after, [this] {
        m_purgeTimer = 0;
        (void)purgeNow();
        schedulePurge(kPurgeEvery);
    });
}

} // namespace rebound
