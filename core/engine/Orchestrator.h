#pragma once

#include "engine/ActionDesk.h"
#include "engine/ActionOutbox.h"
#include "engine/AttemptWaiters.h"
#include "engine/AttemptWatch.h"
#include "engine/ChangeBatch.h"
#include "engine/EndpointSet.h"
#include "engine/EngineCommands.h"
#include "engine/EngineJournal.h"
#include "engine/EngineMetrics.h"
#include "engine/EngineView.h"
#include "engine/FenceAnnouncer.h"
#include "engine/RetryScheduler.h"
#include "engine/TaskBook.h"
#include "engine/TaskReader.h"
#include "guards/GuardRegistry.h"
#include "history/HistoryStore.h"
#include "policy/PolicyStore.h"
#include "remote/EndpointConfig.h"
#include "remote/EndpointPoller.h"
#include "remote/Fence.h"
#include "remote/TaskTransport.h"

#include <QObject>

#include <memory>

namespace rebound {

/// Rebound's retry brain over HTTP. It watches every task of every endpoint (one poller
/// each), and when an attempt fails it classifies the failure, picks the policy of the task's
/// type, asks that type's breaker, retry budget and health score, and then schedules the next
/// attempt, defers the decision, or stops (and cancels the task on the server).
///
/// Safety with several consoles and across crashes: every start/cancel carries If-Match and an
/// Idempotency-Key derived from endpoint + task + attempt + action, and is written to the
/// history's outbox before it is sent; after a crash the outbox is re-sent unchanged, so a
/// replayed request never starts a second attempt. A 412 means someone else acted: the task
/// is re-read, not retried blindly. Scheduled retries live in one TimerQueue and in the
/// database, and are resumed on start.
///
/// Views read it as an EngineView (rows as values) and command it as EngineCommands; the rest
/// of this interface is for the engine's own assembly (Engine, the fleet, telemetry, tests).
class Orchestrator final : public EngineView, public EngineCommands
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Orchestrator)

public:
    /// `transports` makes each endpoint's transport; by default an EndpointClient (HTTP).
    Orchestrator(PolicyStore &policies, HistoryStore &history, const Clock &clock,
                 TimerSource &timers, RandomSource &rng, TransportFactory transports = {},
                 QObject *parent = nullptr);
    ~Orchestrator() override;

    /// Adds an endpoint and starts watching it (resuming its outbox and scheduled retries).
    /// Starts watching an endpoint. For one already watched (same URL), takes its new token and
    /// trust anchors and reconnects at once.
    void addEndpoint(const EndpointConfig &config) override;
    /// Stops watching an endpoint: its requests are aborted, its scheduled retries dropped and
    /// its tasks leave the view (rowsAboutToBeRemoved first). Its history stays; a request still
    /// in the outbox is sent if the endpoint is added again.
    void removeEndpoint(const QString &endpoint) override;
    void stop();

    // EngineCommands.
    void retryNow(const QString &endpoint, const QString &taskId, Done done = {}) override;
    void cancelRetries(const QString &endpoint, const QString &taskId, Done done = {}) override;
    void abortAttempt(const QString &endpoint, const QString &taskId, Done done = {}) override;
    void setPaused(const QString &taskType, bool paused) override;
    void commandBreaker(const QString &endpoint, const QString &taskType,
                        BreakerCommand command) override;
    void setReadOnly(bool readOnly) override { m_readOnly = readOnly; }

    // EngineView.
    QList<TaskRow> rows() const override;
    std::optional<SteadyTime> nextAttemptAt(const QString &endpoint,
                                            const QString &taskId) const override
    {
        return nextRetryAt(endpoint, taskId);
    }
    std::optional<TaskRow> row(const QString &key) const override;
    Timeline timeline(const QString &endpoint, const QString &taskId) const override;
    void attempts(const QString &endpoint, const QString &taskId, AttemptsDone done) override;
    QString whyNotRetry(const QString &endpoint, const QString &taskId) const override
    {
        return TaskBook::whyNotRetry(task(endpoint, taskId), m_readOnly);
    }
    QString whyNotCancel(const QString &endpoint, const QString &taskId) const override
    {
        return TaskBook::whyNotCancel(task(endpoint, taskId), m_readOnly);
    }
    QString whyNotAbort(const QString &endpoint, const QString &taskId) const override
    {
        return TaskBook::whyNotAbort(task(endpoint, taskId), m_readOnly);
    }
    bool isPaused(const QString &taskType) const override { return m_scheduler.isPaused(taskType); }
    bool isReadOnly() const override { return m_readOnly; }
    int maxAttemptsFor(const QString &taskType) const override
    {
        return m_policies.current()->policyFor(taskType).backoff.maxAttempts;
    }
    QList<QPair<QString, QString>> breakerKeys() const override;
    BreakerHealth breakerHealth(const QString &endpoint, const QString &taskType) const override
    {
        return m_guards.breakerHealth({endpoint, taskType});
    }
    BreakerMetrics breakerMetrics(const QString &endpoint, const QString &taskType) const override
    {
        return m_guards.breakerMetrics({endpoint, taskType});
    }
    std::optional<HealthScore> healthScore(const QString &endpoint,
                                           const QString &taskType) const override
    {
        return m_guards.healthScore({endpoint, taskType});
    }
    int allowedConcurrentRetries() const override { return m_guards.allowedConcurrentRetries(); }
    QStringList endpoints() const override { return m_endpoints.keys(); }
    std::optional<QString> ownerOf(const QString &endpoint, const QString &taskId) const override
    {
        if (!m_ownership.ownerOf)
            return std::nullopt;
        return m_ownership.ownerOf(endpoint, taskId);
    }
    QString refusalOf(const QString &endpoint) const override
    {
        return m_ownership.refusal ? m_ownership.refusal(endpoint) : QString();
    }
    const PolicyStore &policySource() const override { return m_policies; }

    /// Who decides which task when several members share the work (a fleet). Without it this
    /// engine decides every task and sends no fence.
    struct Ownership
    {
        /// The fence of a task this member owns; nothing when another member decides it.
        std::function<std::optional<Fence>(const QString &endpoint, const QString &taskId)> fenceOf;
        /// A service refused `fence` as stale: the shard has a newer owner.
        std::function<void(const Fence &fence)> staleFence;
        /// The member whose claim on the task's shard stands (empty: nobody's, the shard
        /// moves); unset outside a fleet.
        std::function<QString(const QString &endpoint, const QString &taskId)> ownerOf;
        QString member; ///< this member's id
        /// The fences of the shards this member holds now (announced to an endpoint added
        /// later).
        std::function<QList<Fence>()> held;
        /// Why this member decides nothing for an endpoint (the fleet spells it differently);
        /// empty: it decides its shards' tasks there.
        std::function<QString(const QString &endpoint)> refusal;
    };
    /// Takes effect for what happens next; ownershipChanged() re-evaluates the tasks held.
    void setOwnership(Ownership ownership);
    /// A retry rate limit shared with the other members (SharedRetryBudget), asked before each
    /// automatic retry starts; null: each budget limits the rate on its own.
    void setRetryPermits(RetryPermits *permits) { m_scheduler.setPermits(permits); }
    /// An ownership that owns nothing (a member leaving the fleet stops acting at once).
    static Ownership nothingOwned()
    {
        Ownership none;
        none.fenceOf = [](const QString &, const QString &) { return std::optional<Fence>(); };
        return none;
    }
    /// Shards moved: tasks no longer owned drop their scheduled retries (their new owner
    /// decides from the service's state); tasks newly owned are decided here.
    void ownershipChanged();
    /// Shards this member has just claimed: their fences go to every endpoint before anything
    /// is decided there (FenceAnnouncer).
    void announceFences(const QList<Fence> &fences) { m_fenceAnnouncer.announce(fences); }
    /// Whether this member decides the task (always, outside a fleet).
    bool owns(const QString &endpoint, const QString &taskId) const
    {
        return !m_ownership.fenceOf || m_ownership.fenceOf(endpoint, taskId).has_value();
    }

    // Decisions shared in a fleet (DecisionBoard carries them between members).
    /// This member's standing decision on a task it owns; nothing when none stands or the task
    /// is another member's.
    std::optional<SharedDecision> sharedDecision(const TrackedTask &t) const;
    /// Another member's decision: shown for a task this member does not decide, in the same
    /// states and words as its own (ignored for a task it decides, or an unknown one).
    void adopt(const SharedDecision &d);
    /// `member` no longer stands by a decision on the task (it runs again, or ended).
    void withdraw(const QString &endpoint, const QString &taskId, const QString &member);

    /// Feeds a batch of tasks as if a poll of `endpoint` had returned them (the poller's path;
    /// public for benchmarks and tests that drive the console without a service).
    void ingest(const QString &endpoint, const QList<RemoteTask> &tasks)
    {
        onTasks(endpoint, tasks, false);
    }

    // Views.
    const TrackedTask *task(const QString &endpoint, const QString &taskId) const;
    std::optional<SteadyTime> nextRetryAt(const QString &endpoint, const QString &taskId) const;
    /// When this console ends the task's running attempt unless it ends first.
    std::optional<SteadyTime> attemptTimeoutAt(const QString &endpoint, const QString &taskId) const
    {
        return m_watch.dueOf(taskKey(endpoint, taskId));
    }
    qsizetype scheduledCount() const { return m_scheduler.scheduledCount(); }
    qsizetype taskCount() const { return m_book.size(); }
    /// The retry budget's tokens left for a type (the metrics read it).
    std::optional<double> budgetTokens(const QString &endpoint, const QString &taskType) const
    {
        return m_guards.budgetTokens({endpoint, taskType});
    }
    EngineMetrics &metrics() { return m_metrics; }
    /// Spans of the attempts seen ending go to `sink` (OtlpExporter::add); none without one.
    void setSpanSink(AttemptTracer::Sink sink) { m_tracer.setSink(std::move(sink)); }
    const EngineMetrics &metrics() const { return m_metrics; }
    const HistoryStore &history() const { return m_history; }
    PolicyStore &policies() { return m_policies; }
    HistoryStore &history() { return m_history; }
    EndpointPoller *poller(const QString &endpoint) const { return m_endpoints.poller(endpoint); }

Q_SIGNALS:
    /// A batch of tasks whose state or decision changed, each once, for the engine's own
    /// listeners (the fleet's decision board); views hear rowsUpdated. The pointers are valid
    /// while the tasks are watched (rowsAboutToBeRemoved comes before they are dropped).
    void tasksUpdated(const QList<const rebound::TrackedTask *> &tasks);

private:
    static QString taskKey(const QString &endpoint, const QString &taskId)
    {
        return TaskBook::key(endpoint, taskId);
    }
    TaskTransport *transport(const QString &endpoint) const
    {
        return m_endpoints.transport(endpoint);
    }

    void onTasks(const QString &endpoint, const QList<RemoteTask> &tasks, bool snapshot,
                 bool reread = false);
    void observe(TrackedTask &t, const RemoteTask &remote, std::optional<SteadyTime> lastBatch);
    void recordAttempts(TrackedTask &t, const QList<RemoteAttempt> &attempts);
    void stopTask(TrackedTask &t, StopReason reason);
    /// Adds this member's fence to an action it takes on its own; false (nothing to send) when
    /// the task's shard is not this member's.
    bool fence(const TrackedTask &t, OutboxEntry &e) const;
    void onReread(const QString &endpoint, const RemoteTask &task);
    /// An operator command the engine cannot carry out: `done` hears why (true), or go on.
    static bool refused(const QString &why, const Done &done);
    void onOverrun(TrackedTask &t);
    /// Moves the task's lifecycle to what the engine now knows (one event per move).
    void updateLifecycle(TrackedTask &t);
    /// When the task's next attempt or re-check is due: this member's schedule, or the
    /// owning member's for a task another member decides.
    std::optional<SteadyTime> dueOf(const TrackedTask &t) const;
    TrackedTask *find(const QString &key) const { return m_book.find(key); }
    void flush() { m_batch.flush(); }
    void markChanged(TrackedTask &t) { m_batch.mark(t); }
    void emitChanged(TrackedTask &t)
    {
        m_batch.mark(t);
        m_batch.flush();
    }
    /// The batch's tasks to the engine's listeners, and as rows to views that listen.
    void publish(const QList<const TrackedTask *> &tasks);

    PolicyStore &m_policies;
    HistoryStore &m_history;
    const Clock &m_clock;
    GuardRegistry m_guards;
    ActionOutbox m_outbox;
    TaskReader m_reader;
    FenceAnnouncer m_fenceAnnouncer;
    EndpointSet m_endpoints;
    TaskBook m_book;
    AttemptWatch m_watch;
    ActionDesk m_actions;
    EngineMetrics m_metrics;
    AttemptTracer m_tracer;
    EngineJournal m_journal;
    RetryScheduler m_scheduler;
    ChangeBatch m_batch;
    bool m_readOnly = false;
    Ownership m_ownership;
    AttemptWaiters m_attemptWaiters;
};

} // namespace rebound
