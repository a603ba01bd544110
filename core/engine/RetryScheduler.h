#pragma once

#include "engine/EngineJournal.h"
#include "engine/TaskBook.h"
#include "guards/GuardRegistry.h"
#include "guards/RetryPermits.h"
#include "history/HistoryStore.h"
#include "policy/PolicyStore.h"
#include "time/TimerQueue.h"

#include <QSet>

#include <functional>
#include <limits>

namespace rebound {

/// Deciding: when an attempt failed, classify it, ask the task type's policy and guards, and
/// schedule the retry, defer it, or stop. Scheduled retries live in one TimerQueue and in the
/// history (resumed after a restart, bounded by what the policy could ever ask for). When a
/// retry is due and the guards still agree, the coordinator is asked to start it.
class RetryScheduler final
{
    Q_DISABLE_COPY_MOVE(RetryScheduler)

public:
    struct Hooks
    {
        std::function<void(TrackedTask &)> startRetry;       ///< due, and the guards agree
        std::function<void(TrackedTask &, StopReason)> stop; ///< retries stopped by policy
        std::function<void(TrackedTask &)> decided;          ///< after every decision
        std::function<bool()> readOnly;
        /// False for a task another fleet member decides: not decided, not started here.
        std::function<bool(const TrackedTask &)> owns;
    };

    RetryScheduler(const PolicyStore &policies, GuardRegistry &guards, TaskBook &book,
                   EngineJournal &journal, HistoryStore &history, const Clock &clock,
                   TimerSource &timers, RandomSource &rng, Hooks hooks);
    ~RetryScheduler();

    /// A task seen for the first time: a retry the database holds for its current attempt
    /// counts as decided.
    void adopt(TrackedTask &t);
    /// The task changed on the service: unschedule what no longer applies, resume or decide.
    void observed(TrackedTask &t);
    void decide(TrackedTask &t);
    /// A rate limit shared with other engines: asked, and waited for, before each retry that
    /// is due starts (the budget's own token bucket then stands aside). Null: none.
    void setPermits(RetryPermits *permits);
    /// Drops the task's scheduled retry (here and in the history); true when there was one.
    bool unschedule(const TrackedTask &t);
    /// Forgets a task that leaves the engine (its endpoint was removed).
    void forget(const QString &key);

    std::optional<SteadyTime> dueOf(const QString &key) const { return m_queue.dueOf(key); }
    qsizetype scheduledCount() const { return m_queue.size(); }
    void setPaused(const QString &taskType, bool paused);
    /// What held some deferred tasks went away (a breaker reset, a policy that lifts a limit):
    /// every task deferred for one of `reasons` that `matches` is decided again now, oldest
    /// failure first, through the guards as they are now — none waits for its old recheck time.
    /// Returns how many were decided.
    int wake(const QList<DeferReason> &reasons,
             const std::function<bool(const TrackedTask &)> &matches,
             int limit = std::numeric_limits<int>::max());
    /// A retry of `key` ended or was given back: if its budget held tasks and admits retries
    /// now, as many of them as it admits are decided again at once, oldest failure first.
    void budgetFreed(const GuardKey &key);
    bool isPaused(const QString &taskType) const { return m_paused.contains(taskType); }

private:
    void onDue(const QString &key);
    /// Due, and the permit (if any) granted: the breaker is asked last, then the retry starts.
    void start(TrackedTask &t);
    void onPermit(const QString &key, int attempt, RetryPermit permit);
    /// Decides, or records `forced` (a deferral a shared limit asked for) as the decision.
    void decide(TrackedTask &t, const std::optional<DeferPlan> &forced);
    /// The longest any retry or re-decision of this type can wait under its policy.
    Duration longestWait(const QString &taskType) const;

    /// Guards whose budget deferred a task: only these are looked at when a retry ends.
    QSet<GuardKey> m_budgetHeld;
    const PolicyStore &m_policies;
    GuardRegistry &m_guards;
    TaskBook &m_book;
    EngineJournal &m_journal;
    HistoryStore &m_history;
    const Clock &m_clock;
    RandomSource &m_rng;
    Hooks m_hooks;
    TimerQueue m_queue;
    QHash<QString, ScheduledRetry> m_restored; ///< scheduled retries from the database, by task key
    QSet<QString> m_paused;
    RetryPermits *m_permits = nullptr;
    QSet<QString> m_asking; ///< tasks waiting for a permit
    std::shared_ptr<bool> m_alive = std::make_shared<bool>(true);
};

} // namespace rebound
