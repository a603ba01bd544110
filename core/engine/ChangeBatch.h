#pragma once

#include "engine/EngineMetrics.h"
#include "engine/TaskBook.h"
#include "guards/GuardRegistry.h"
#include "history/HistoryStore.h"
#include "time/Clock.h"
#include "time/TimerSource.h"

#include <QList>
#include <QSet>

#include <functional>

namespace rebound {

/// One history transaction and one change batch per turn, however many tasks moved: the batch
/// goes out when it is due "now" on the engine's timers (the event loop's next turn on Qt's, a
/// manual clock's next advance), each changed task in it once.
class ChangeBatch final
{
public:
    /// The guards whose retry budget was given back this turn (held tasks may go), before the
    /// batch is written.
    using Freed = std::function<void(const QSet<GuardKey> &freed)>;
    /// The tasks that changed, each once; the pointers are valid for the call.
    using Changed = std::function<void(const QList<const TrackedTask *> &tasks)>;

    ChangeBatch(HistoryStore &history, EngineMetrics &metrics, const Clock &clock,
                TimerSource &timers, Freed freed, Changed changed);
    /// The timers outlive the engine: a flush due must not run after it.
    ~ChangeBatch();
    ChangeBatch(const ChangeBatch &) = delete;
    ChangeBatch &operator=(const ChangeBatch &) = delete;

    /// The task goes in the next batch (once, however often it is marked).
    void mark(TrackedTask &task);
    void budgetFreed(const GuardKey &key) { m_freed.insert(key); }
    /// Makes the batch due now (once per turn).
    void flush();
    /// Drops the endpoint's tasks from the batch (they are about to be deleted).
    void dropEndpoint(const QString &endpoint);

private:
    void run();

    HistoryStore &m_history;
    EngineMetrics &m_metrics;
    const Clock &m_clock;
    TimerSource &m_timers;
    Freed m_onFreed;
    Changed m_onChanged;
    QList<TrackedTask *> m_pending;
    QSet<GuardKey> m_freed;
    TimerId m_timer = 0;
};

} // namespace rebound
