#pragma once

#include "decision/Failure.h"
#include "decision/RetryDecision.h"
#include "guards/CircuitBreaker.h"
#include "history/HistorySchema.h"
#include "policy/BackoffConfig.h"
#include "remote/RemoteTask.h"
#include "support/Result.h"

#include <QHash>
#include <QString>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>

class QIODevice;

namespace rebound {
class SqliteDb;
}

namespace rebound {

/// Server-reported facts of one attempt.
struct AttemptFacts
{
    QString endpoint;
    QString taskId;
    QString taskType;
    RemoteAttempt attempt;
};

/// One move of a task's lifecycle (TaskStateMachine), as the history keeps it.
struct LifecycleEvent
{
    QString endpoint;
    QString taskId;
    int attempt = 0;
    QString from; ///< TaskState names (toText)
    QString to;
    QString cause; ///< TransitionCause name
    QString detail;
    std::int64_t atWallMs = 0;

    friend bool operator==(const LifecycleEvent &, const LifecycleEvent &) = default;
};

/// What the console decided after an attempt ended.
struct AttemptDecision
{
    QString endpoint;
    QString taskId;
    int attempt = 0;
    std::optional<ErrorClass> errorClass;
    std::optional<std::int64_t> delayMs;
    std::optional<std::int64_t> nominalDelayMs; ///< the delay before jitter
    std::optional<JitterMode> jitter;
    std::optional<std::int64_t> retryAfterMs; ///< the server's delay, when it was honoured
    QString policy;
    int policyVersion = 0;
    std::optional<StopReason> stopReason;
    QString deferReason;
};

struct ScheduledRetry
{
    QString endpoint;
    QString taskId;
    int failedAttempt = 0; ///< the attempt whose failure this retry follows
    std::int64_t dueWallMs = 0;
    QString kind; ///< "retry" or "defer"
};

/// A request written down before it is sent, and re-sent unchanged after a crash.
struct OutboxEntry
{
    QString endpoint;
    QString taskId;
    QString action; ///< "attempt" or "cancel"
    QByteArray idempotencyKey;
    QByteArray body;
    std::int64_t ifMatch = 0;
    int attemptNumber = 0; ///< the attempt the action follows
    QByteArray fence;      ///< a fleet member's Rebound-Fence (empty: none)
};

struct ExportFilter
{
    std::optional<std::int64_t> sinceWallMs;
    std::optional<std::int64_t> untilWallMs;
    QString taskType;
    std::optional<AttemptOutcome> outcome;
    QStringList taskIds; ///< empty: all
};

/// Rebound's retry history in SQLite (WAL): every attempt of every watched task with the
/// console's decision, breaker transitions, policy versions, scheduled retries and the outbox.
/// Attempts, decisions and schedules are queued and written in one transaction per flush()
/// (one per sync cycle); outbox writes are immediate because they must precede the request.
class HistoryStore final
{
public:
    static constexpr int kSchemaVersion = HistorySchema::kVersion;
    static const QStringList &csvHeader();

    /// Opens (creating or migrating) the database at `path`.
    static Result<std::unique_ptr<HistoryStore>> open(const QString &path);
    ~HistoryStore();
    HistoryStore(const HistoryStore &) = delete;
    HistoryStore &operator=(const HistoryStore &) = delete;

    QString path() const { return m_path; }
    void queueAttempt(const AttemptFacts &facts);
    void queueDecision(const AttemptDecision &decision);
    void queueBreakerTransition(const QString &endpoint, const QString &taskType,
                                const BreakerTransition &t, std::int64_t wallMs);
    void queueLifecycle(const LifecycleEvent &e);
    void queueSchedule(const ScheduledRetry &s);
    void queueUnschedule(const QString &endpoint, const QString &taskId);
    Result<void> flush();
    int pendingWrites() const;

    Result<void> putOutbox(const OutboxEntry &e);
    Result<void> removeOutbox(const QString &endpoint, const QByteArray &key);
    QList<OutboxEntry> outbox() const;
    QList<ScheduledRetry> scheduled() const;
    Result<void> recordPolicyVersion(int version, std::int64_t wallMs, const QString &source,
                                     const QByteArray &sha256, const QByteArray &content);

    /// Rows in the history for one task, oldest first (facts and decision columns).
    struct Row
    {
        int attempt;
        QString reason;
        QString outcome;
        QString stopReason;
        std::optional<std::int64_t> delayMs;
        QString errorClass;
        QString jitter;
        std::optional<std::int64_t> retryAfterMs;
        QString policy;
        int policyVersion = 0;
        QString deferReason;
        std::optional<std::int64_t> endedAtMs;      ///< the service's end time (wall ms)
        std::optional<std::int64_t> nominalDelayMs; ///< the delay before jitter
    };
    QList<Row> attempts(const QString &endpoint, const QString &taskId) const;
    std::int64_t attemptCount() const;
    /// A task's lifecycle events, oldest first.
    QList<LifecycleEvent> lifecycle(const QString &endpoint, const QString &taskId) const;
    /// Highest attempt number recorded per task of `endpoint` (reconciliation on start).
    QHash<QString, int> knownAttempts(const QString &endpoint) const;
    /// Tasks of `endpoint` an operator brought back: the attempt number and wall time of the
    /// latest `operator_requeue` move (their allowance counts from there).
    QHash<QString, QPair<int, std::int64_t>> requeues(const QString &endpoint) const;
    QString integrityCheck() const;
    /// Deletes attempts that started before `wallMs` (the retention setting).
    Result<int> purgeBefore(std::int64_t wallMs);

    /// Streams matching attempts as CSV (header first). `progress(rowsDone, rowsTotal)`;
    /// setting `*cancel` stops early. Returns the number of data rows written.
    Result<std::int64_t>
    exportCsv(QIODevice &out, const ExportFilter &filter,
              const std::function<void(std::int64_t, std::int64_t)> &progress = {},
              const std::atomic<bool> *cancel = nullptr) const;

private:
    HistoryStore(std::unique_ptr<SqliteDb> db, QString path);
    /// The flush's statements, prepared once.
    Result<void> prepareWrites();

    std::unique_ptr<SqliteDb> m_db;
    QString m_path;
    struct Queue;
    std::unique_ptr<Queue> m_queue;
    struct Writes;
    std::unique_ptr<Writes> m_writes;
};

} // namespace rebound
