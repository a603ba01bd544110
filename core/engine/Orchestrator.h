#pragma once

#include "CircuitBreaker.h"
#include "EndpointClient.h"
#include "EndpointPoller.h"
#include "HealthMonitor.h"
#include "HistoryStore.h"
#include "PolicyStore.h"
#include "RetryBudget.h"
#include "RetryDecider.h"
#include "TimerQueue.h"

#include <QHash>
#include <QObject>
#include <QSet>

#include <memory>

namespace rebound {

/// Everything the console knows about one watched task.
struct TrackedTask
{
    QString endpoint;
    RemoteTask remote;
    int decidedAttempt = 0;  ///< the last failed attempt a decision was made for
    int recordedAttempt = 0; ///< the last ended attempt fed to breaker/health/budget
    std::optional<RetryDecision> lastDecision;
    SteadyTime decidedAt{};
    QString policyName;
    int policyVersion = 0;
    bool actionInFlight = false; ///< a start/cancel request is on its way
    QString lastError;           ///< last operator-visible problem (e.g. someone else acted first)
    std::optional<BackoffSequence> backoff;
    // Steady times of what this console saw itself. Server timestamps are wall times of another
    // clock: they are trusted only where they agree with these (see failureEnd()).
    SteadyTime firstSeenAt{};
    SteadyTime createdAt{}; ///< the task's creation on the steady clock, anchored at first sight
    int runningSeenAttempt = 0;
    SteadyTime runningSeenAt{};
    int endSeenAttempt = 0;
    SteadyTime endSeenAt{};
};

enum class BreakerCommand
{
    ForceOpen,
    Reset,
    Disable
};

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
class Orchestrator final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Orchestrator)

public:
    Orchestrator(PolicyStore &policies, HistoryStore &history, const Clock &clock,
                 TimerSource &timers, RandomSource &rng, QObject *parent = nullptr);
    ~Orchestrator() override;

    /// Adds an endpoint and starts watching it (resuming its outbox and scheduled retries).
    /// Starts watching an endpoint. For one already watched (same URL), takes its new token and
    /// trust anchors and reconnects at once.
    void addEndpoint(const EndpointConfig &config);
    /// Stops watching an endpoint: its requests are aborted, its scheduled retries dropped and
    /// its tasks leave the view (tasksAboutToBeRemoved first). Its history stays; a request still
    /// in the outbox is sent if the endpoint is added again.
    void removeEndpoint(const QString &endpoint);
    void stop();

    // Operator commands. `done` gets an error value in plain words when refused.
    using Done = std::function<void(Result<void>)>;
    void retryNow(const QString &endpoint, const QString &taskId, Done done = {});
    void cancelRetries(const QString &endpoint, const QString &taskId, Done done = {});
    void setPaused(const QString &taskType, bool paused);
    bool isPaused(const QString &taskType) const { return m_paused.contains(taskType); }
    void commandBreaker(const QString &endpoint, const QString &taskType, BreakerCommand command);
    void setReadOnly(bool readOnly) { m_readOnly = readOnly; }
    bool isReadOnly() const { return m_readOnly; }

    /// Feeds a batch of tasks as if a poll of `endpoint` had returned them (the poller's path;
    /// public for benchmarks and tests that drive the console without a service).
    void ingest(const QString &endpoint, const QList<RemoteTask> &tasks)
    {
        onTasks(endpoint, tasks, false);
    }

    // Views.
    static QString taskKey(const QString &endpoint, const QString &taskId)
    {
        return endpoint + u'\n' + taskId;
    }
    const TrackedTask *task(const QString &endpoint, const QString &taskId) const;
    const TrackedTask *taskByKey(const QString &key) const
    {
        const auto it = m_tasks.constFind(key);
        return it == m_tasks.constEnd() ? nullptr : it->get();
    }
    QList<QString> taskKeys() const { return m_tasks.keys(); }
    std::optional<SteadyTime> nextRetryAt(const QString &endpoint, const QString &taskId) const;
    qsizetype scheduledCount() const { return m_queue.size(); }
    CircuitBreaker *breaker(const QString &endpoint, const QString &taskType);
    /// The breaker tier of a type without creating anything (Healthy when never seen).
    BreakerHealth breakerHealth(const QString &endpoint, const QString &taskType) const;
    int maxAttemptsFor(const QString &taskType) const;
    /// (endpoint, task type) pairs that have a breaker, and their current window metrics.
    QList<QPair<QString, QString>> breakerKeys() const;
    BreakerMetrics breakerMetrics(const QString &endpoint, const QString &taskType) const;
    /// Concurrent retries the retry budgets of all task types allow right now.
    int allowedConcurrentRetries() const;
    PolicyStore &policies() { return m_policies; }
    HistoryStore &history() { return m_history; }
    EndpointPoller *poller(const QString &endpoint) const;
    EndpointClient *client(const QString &endpoint) const;
    QStringList endpoints() const { return m_endpoints.keys(); }

Q_SIGNALS:
    /// A batch of tasks whose state or decision changed (keys from taskKey()).
    void tasksUpdated(const QStringList &keys);
    /// These tasks are about to be dropped (their endpoint was removed); the objects behind
    /// taskByKey() are valid until the signal returns.
    void tasksAboutToBeRemoved(const QStringList &keys);
    void endpointRemoved(const QString &endpoint);
    void breakerTransition(const QString &endpoint, const QString &taskType,
                           const rebound::BreakerTransition &t);
    void endpointStatusChanged(const QString &endpoint, const rebound::EndpointStatus &status);
    /// A task ran out of retries (exhausted, deadline, not retryable).
    void taskStopped(const QString &endpoint, const QString &taskId, rebound::StopReason reason);
    /// Something the operator should read (e.g. "another console acted first").
    void notice(const QString &endpoint, const QString &taskId, const QString &message);

private:
    struct Endpoint
    {
        EndpointClient *client = nullptr;
        EndpointPoller *poller = nullptr;
        QHash<QString, int> knownAttempts; ///< from the history at start, for reconciliation
    };
    struct Guards
    {
        std::shared_ptr<CircuitBreaker> breaker;
        std::shared_ptr<HealthMonitor> health;
        std::shared_ptr<RetryBudget> budget;
        int policyVersion = -1;
        QString policyName;
    };

    void onTasks(const QString &endpoint, const QList<RemoteTask> &tasks, bool snapshot);
    void observe(TrackedTask &t, const RemoteTask &remote, QStringList &changed);
    void recordAttempts(TrackedTask &t, const QList<RemoteAttempt> &attempts);
    void feedGuards(TrackedTask &t, const RemoteAttempt &a);
    void decide(TrackedTask &t);
    void onDue(const QString &key);
    void startAttempt(TrackedTask &t, AttemptReason reason, Done done);
    void stopTask(TrackedTask &t, StopReason reason);
    /// Sends an outbox entry (the same bytes every time); `tries` counts re-sends after refusals.
    void sendOutbox(const OutboxEntry &e, Done done, int tries = 0);
    void onActionAnswer(const OutboxEntry &e, const ApiResponse &r, Done done, int tries);
    void resync(const QString &endpoint, const QString &taskId);
    void fetchAttempts(const QString &endpoint, const QString &taskId);
    Guards &guards(const QString &endpoint, const QString &taskType);
    SteadyTime toSteady(std::int64_t wallMs) const;
    SteadyTime failureEnd(const TrackedTask &t, const RemoteAttempt &a) const;
    /// The longest any retry or re-decision of this type can wait under its policy.
    Duration longestWait(const QString &taskType) const;
    std::int64_t toWall(SteadyTime t) const;
    void flush();
    void emitChanged(const QString &key);

    PolicyStore &m_policies;
    HistoryStore &m_history;
    const Clock &m_clock;
    TimerSource &m_timers;
    RandomSource &m_rng;
    TimerQueue m_queue;
    QHash<QString, Endpoint> m_endpoints;
    // shared_ptr: a task's address never changes, so views may keep pointers to it.
    QHash<QString, std::shared_ptr<TrackedTask>> m_tasks;
    QHash<QString, Guards> m_guards;           ///< endpoint + '\n' + task type
    QHash<QString, ScheduledRetry> m_restored; ///< scheduled retries from the database, by task key
    QSet<QString> m_paused;
    QStringList m_pendingChanged;
    bool m_readOnly = false;
    bool m_flushQueued = false;
};

} // namespace rebound
