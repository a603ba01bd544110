#pragma once

#include "engine/TaskRow.h"
#include "guards/CircuitBreaker.h"
#include "guards/HealthMonitor.h"
#include "history/HistoryStore.h"
#include "remote/EndpointPoller.h"
#include "support/Result.h"

#include <QObject>
#include <QPair>
#include <QStringList>

#include <functional>
#include <optional>

namespace rebound {

class PolicyStore;

/// What a view may read of the engine, and the events it hears — values only: a view never
/// sees the engine's task objects, its transports or its schedules. The console's table,
/// detail pane, charts and actions are written against this (and EngineCommands), so the
/// engine's insides can change without them.
class EngineView : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EngineView)

public:
    ~EngineView() override = default;

    // Tasks.
    /// Every watched task's row, in first-sight order.
    virtual QList<TaskRow> rows() const = 0;
    /// One task's row by its key (TaskRow::key); nothing when it is not watched.
    virtual std::optional<TaskRow> row(const QString &key) const = 0;
    /// When the task's next attempt or re-check is due (this console's schedule, or the owning
    /// member's in a fleet); nothing when none is.
    virtual std::optional<SteadyTime> nextAttemptAt(const QString &endpoint,
                                                    const QString &taskId) const = 0;
    /// What the history holds of one task: its attempts with the decisions taken, and its
    /// lifecycle moves, oldest first.
    struct Timeline
    {
        QList<HistoryStore::Row> attempts;
        QList<LifecycleEvent> events;
    };
    virtual Timeline timeline(const QString &endpoint, const QString &taskId) const = 0;
    /// The task's attempts as the service lists them, read through the engine's own reader
    /// (what it learns is recorded as any other read). `done` hears the list, or why not.
    using AttemptsDone = std::function<void(Result<QList<RemoteAttempt>>)>;
    virtual void attempts(const QString &endpoint, const QString &taskId, AttemptsDone done) = 0;
    /// Why an operator action is unavailable on the task now (empty: it is available).
    virtual QString whyNotRetry(const QString &endpoint, const QString &taskId) const = 0;
    virtual QString whyNotCancel(const QString &endpoint, const QString &taskId) const = 0;
    virtual QString whyNotAbort(const QString &endpoint, const QString &taskId) const = 0;

    // Types, endpoints and the fleet: facts that move without a task moving.
    virtual bool isPaused(const QString &taskType) const = 0;
    virtual bool isReadOnly() const = 0;
    /// The policy's attempt limit for the type.
    virtual int maxAttemptsFor(const QString &taskType) const = 0;
    /// (endpoint, task type) pairs that have a breaker.
    virtual QList<QPair<QString, QString>> breakerKeys() const = 0;
    /// A type's breaker tier without creating anything (Healthy when never seen).
    virtual BreakerHealth breakerHealth(const QString &endpoint, const QString &type) const = 0;
    virtual BreakerMetrics breakerMetrics(const QString &endpoint, const QString &type) const = 0;
    virtual std::optional<HealthScore> healthScore(const QString &endpoint,
                                                   const QString &type) const = 0;
    /// Concurrent retries the retry budgets of all task types allow right now.
    virtual int allowedConcurrentRetries() const = 0;
    virtual QStringList endpoints() const = 0;
    /// In a fleet: the member deciding the task now (empty while its shard moves); outside a
    /// fleet nothing.
    virtual std::optional<QString> ownerOf(const QString &endpoint,
                                           const QString &taskId) const = 0;
    /// Whether the engine runs in a fleet (tasks have owners).
    bool inFleet() const { return ownerOf(QString(), QString()).has_value(); }
    /// In a fleet: why nobody here decides the endpoint's tasks (empty when this member does).
    virtual QString refusalOf(const QString &endpoint) const = 0;
    virtual const PolicyStore &policySource() const = 0;

Q_SIGNALS:
    /// The rows of a batch of tasks whose state or decision changed, each once.
    void rowsUpdated(const QList<rebound::TaskRow> &rows);
    /// These tasks are about to be dropped (their endpoint was removed); row() still answers
    /// for them until the signal returns.
    void rowsAboutToBeRemoved(const QStringList &keys);
    void endpointRemoved(const QString &endpoint);
    /// endpoints() changed (one added or removed).
    void endpointsChanged();
    void breakerTransition(const QString &endpoint, const QString &taskType,
                           const rebound::BreakerTransition &t);
    void endpointStatusChanged(const QString &endpoint, const rebound::EndpointStatus &status);
    /// A task ran out of retries (exhausted, deadline, not retryable).
    void taskStopped(const QString &endpoint, const QString &taskId, rebound::StopReason reason);
    /// Something the operator should read (e.g. "another console acted first").
    void notice(const QString &endpoint, const QString &taskId, const QString &message);

protected:
    explicit EngineView(QObject *parent = nullptr) : QObject(parent) {}
};

} // namespace rebound
