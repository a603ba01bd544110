#include "engine/ChangeBatch.h"

#include "support/JsonLog.h"

namespace rebound {

ChangeBatch::ChangeBatch(HistoryStore &history, EngineMetrics &metrics, const Clock &clock,
                         TimerSource &timers, Freed freed, Changed changed)
    : m_history(history), m_metrics(metrics), m_clock(clock), m_timers(timers),
      m_onFreed(std::move(freed)), m_onChanged(std::move(changed))
{}

ChangeBatch::~ChangeBatch()
{
    if (m_timer)
        m_timers.cancel(m_timer);
}

void ChangeBatch::mark(TrackedTask &t)
{
    // Each task once per batch, without a hash: the task carries its own mark.
    if (!std::exchange(t.changePending, true))
        m_pending << &t;
}

void ChangeBatch::flush()
{
    if (!m_timer)
        m_timer = m_timers.schedule(m_clock.steadyNow(), [this] { run(); });
}

void ChangeBatch::dropEndpoint(const QString &endpoint)
{
    m_pending.removeIf([&endpoint](const TrackedTask *t) { return t->endpoint == endpoint; });
}

void ChangeBatch::run()
{
    m_timer = 0;
    // Budgets freed this turn let held tasks go now, after the batch that freed them is
    // applied (never from inside another task's decision).
    if (!m_freed.isEmpty())
        m_onFreed(std::exchange(m_freed, {}));
    const int writes = m_history.pendingWrites();
    const SteadyTime began = m_clock.steadyNow();
    auto r = m_history.flush();
    if (writes > 0)
        m_metrics.historyWrite(m_clock.steadyNow() - began, writes);
    if (!r)
        JsonLog::event(lcEngine, QtCriticalMsg, QStringLiteral("history_write_failed"),
                       {{QStringLiteral("cause"), r.error().message}});
    if (m_pending.isEmpty())
        return;
    QList<const TrackedTask *> tasks;
    tasks.reserve(m_pending.size());
    for (TrackedTask *t : std::exchange(m_pending, {})) {
        t->changePending = false;
        tasks << t;
    }
    m_onChanged(tasks);
}

} // namespace rebound
