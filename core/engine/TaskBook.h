#pragma once

#include "decision/BackoffSequence.h"
#include "decision/RetryDecision.h"
#include "engine/SharedDecision.h"
#include "engine/TaskStateMachine.h"
#include "remote/RemoteTask.h"
#include "support/Boxed.h"
#include "time/Clock.h"

#include <QHash>
#include <QStringList>

#include <memory>
#include <optional>

namespace rebound {

/// Everything the console knows about one watched task.
struct TrackedTask
{
    QString key; ///< TaskBook::key(endpoint, id), built once: every index of the engine uses it
    /// Dense and unique, in first-sight order: views index their rows by it without hashing.
    int serial = -1;
    QString endpoint;
    RemoteTask remote;
    int decidedAttempt = 0;  ///< the last failed attempt a decision was made for
    int recordedAttempt = 0; ///< the last ended attempt fed to breaker/health/budget
    Boxed<RetryDecision> lastDecision;
    int decisionFor = 0; ///< the attempt lastDecision was made for
    /// In a fleet, for a task another member decides: that member's published decision.
    Boxed<ForeignDecision> foreign;
    // The lifecycle the operator sees: the engine's state machine and the condition's cause.
    TaskStateMachine lifecycle;
    TaskCondition condition;
    int lifecycleAttempt = -1; ///< the attempt number the lifecycle last moved at (-1: unseen)
    SteadyTime decidedAt{};
    QString policyName;
    int policyVersion = 0;
    bool actionInFlight = false; ///< a start/cancel request is on its way
    QString lastError;           ///< last operator-visible problem (e.g. someone else acted first)
    Boxed<BackoffSequence> backoff;
    // Steady times of what this console saw itself. Server timestamps are wall times of another
    // clock: they are trusted only where they agree with these (see failureEnd()).
    SteadyTime firstSeenAt{};
    SteadyTime createdAt{}; ///< the task's creation on the steady clock, anchored at first sight
    int runningSeenAttempt = 0;
    SteadyTime runningSeenAt{};
    int endSeenAttempt = 0;
    SteadyTime endSeenAt{};
    SteadyTime lastSeenAt{}; ///< when a poll last showed this task
    // The running attempt's timeout (see Orchestrator::watch()).
    int watchedAttempt = 0;
    SteadyTime attemptStartAt{}; ///< the running attempt's start, on the steady clock
    Duration attemptTimeout{};
    int deadlineSentAttempt = 0; ///< the attempt this console started with a deadlineMs
    Duration deadlineSent{};
    // An operator's "retry now" on a dead task gives it a fresh allowance: attempts and the
    // deadline count from there.
    int allowanceBase = 0;
    SteadyTime allowanceStart{}; ///< when the fresh allowance began (its deadline counts from it)
    bool requeuedByOperator = false;
    bool changePending = false; ///< in the orchestrator's next change batch

    /// The decision that stands for the current failed attempt: this console's own, or the
    /// owning member's; null when none does.
    const RetryDecision *currentDecision() const
    {
        if (foreign && foreign->attempt == remote.attempt)
            return &foreign->decision;
        return lastDecision && decisionFor == remote.attempt ? &*lastDecision : nullptr;
    }
};

/// What the engine knows about each watched task, and when this console saw what. The
/// service's timestamps are wall times of another clock: they are mapped to this console's
/// steady clock only where they agree with what it saw itself (a wall-clock jump or a skewed
/// server falls outside those brackets, and the console's own sighting is used: late by at
/// most one poll, never early).
class TaskBook final
{
    Q_DISABLE_COPY_MOVE(TaskBook)

public:
    explicit TaskBook(const Clock &clock) : m_clock(clock) {}

    static QString key(const QString &endpoint, const QString &taskId)
    {
        // One allocation (the key is built for every new task).
        QString k;
        k.reserve(endpoint.size() + 1 + taskId.size());
        return k.append(endpoint).append(u'\n').append(taskId);
    }
    TrackedTask *find(const QString &endpoint, const QString &taskId) const;
    /// By key(endpoint, id): endpoints never hold a line break, so the first one splits it.
    TrackedTask *find(const QString &key) const;
    /// The task with `remote`'s id on `endpoint`, added when new (`added` says so): one
    /// look-up of the index either way, and the composite key is built only for a new task.
    TrackedTask &obtain(const QString &endpoint, const RemoteTask &remote, bool &added);
    void remove(const QString &key);
    /// An operator brought the task back: its attempts and deadline count afresh from
    /// `afterAttempt` and `since`, its backoff starts over, and no decision stands.
    static void requeue(TrackedTask &t, int afterAttempt, SteadyTime since);
    QStringList keys() const;
    QStringList keysOf(const QString &endpoint) const;
    qsizetype size() const;
    template <typename F> void forEach(F &&f) const
    {
        for (const Shelf &shelf : m_shelves) {
            for (const auto &t : shelf)
                f(*t);
        }
    }

    /// What a new look at a task tells beyond the task itself.
    struct Sighting
    {
        bool missedAttempts = false; ///< attempts began or ended unseen between two looks
        std::optional<SteadyTime> notRunningAt; ///< last moment the running attempt had not begun
    };
    /// Takes `remote` as the task's new state (when not older than what is known) and notes
    /// when this console saw its attempts run and end. `endpointLastBatch`: when the previous
    /// poll of the endpoint answered (a new task's attempt began after it).
    std::optional<Sighting> see(TrackedTask &t, const RemoteTask &remote,
                                std::optional<SteadyTime> endpointLastBatch);

    SteadyTime toSteady(std::int64_t wallMs) const;
    std::int64_t toWall(SteadyTime t) const;
    /// When a failed attempt ended, on the steady clock (the backoff counts from here).
    SteadyTime failureEnd(const TrackedTask &t, const RemoteAttempt &a) const;
    /// When a running attempt began, on the steady clock (its timeout counts from here).
    SteadyTime attemptStart(const RemoteAttempt &a, std::optional<SteadyTime> notBefore) const;

    /// The condition the engine's knowledge puts the task in. `due`: the next attempt or the
    /// end of a deferral, when one is scheduled.
    static TaskCondition derive(const TrackedTask &t, std::optional<SteadyTime> due);
    /// Moves the task's lifecycle to what is now known of it (derive()): the event when it
    /// moved, nothing when it did not, an error when the table refuses the move — then the
    /// lifecycle follows the service anyway (it is the truth) and the caller reports it.
    static Result<std::optional<TransitionEvent>>
    advance(TrackedTask &t, std::optional<SteadyTime> due, SteadyTime now);
    /// Why the task entered `to`, from what is known of it.
    static TransitionCause causeOf(const TrackedTask &t, TaskState from, TaskState to);

    // Why an operator action is unavailable (empty: available).
    static QString whyNotRetry(const TrackedTask *t, bool readOnly);
    static QString whyNotCancel(const TrackedTask *t, bool readOnly);
    static QString whyNotAbort(const TrackedTask *t, bool readOnly);

private:
    const Clock &m_clock;
    /// A task id with its hash, computed once: Qt's QHash recomputes every key's hash when it
    /// grows, which at a million tasks cost more than the look-ups themselves. The hash is
    /// still seeded (ids come from the service).
    struct IdKey
    {
        QString id;
        size_t hash;
        friend bool operator==(const IdKey &a, const IdKey &b) noexcept
        {
            return a.hash == b.hash && a.id == b.id;
        }
        friend size_t qHash(const IdKey &k, size_t) noexcept { return k.hash; }
    };
    static IdKey idKey(const QString &id) { return {id, qHash(id, qGlobalQHashSeed())}; }
    // shared_ptr: a task's address never changes, so views may keep pointers to it.
    using Shelf = QHash<IdKey, std::shared_ptr<TrackedTask>>;
    /// By endpoint, then by id: a look-up needs no composite key.
    QHash<QString, Shelf> m_shelves;
    int m_nextSerial = 0;
};

} // namespace rebound
