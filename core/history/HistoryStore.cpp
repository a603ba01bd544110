#include "history/HistoryStore.h"

#include "history/CsvExport.h"
#include "history/HistorySchema.h"
#include "history/SqliteDb.h"

#include "support/Csv.h"
#include "support/Rfc3339.h"

#include <QDir>
#include <QFileInfo>
#include <QIODevice>

namespace rebound {

namespace {

/// `e` as an error of `what`.
Error within(const QString &what, const Error &e)
{
    return Error{e.code, QStringLiteral("%1: %2").arg(what, e.message)};
}

} // namespace

struct HistoryStore::Queue
{
    QList<AttemptFacts> attempts;
    QList<AttemptDecision> decisions;
    struct Transition
    {
        QString endpoint, type;
        BreakerTransition t;
        std::int64_t wallMs;
    };
    QList<Transition> transitions;
    QList<LifecycleEvent> lifecycle;
    QList<ScheduledRetry> schedules;
    QList<QPair<QString, QString>> unschedules;
};

const QStringList &HistoryStore::csvHeader()
{
    return CsvExport::header();
}

struct HistoryStore::Writes
{
    SqliteStatement attempt, decision, transition, lifecycle, unschedule, schedule;
};

HistoryStore::HistoryStore(std::unique_ptr<SqliteDb> db, QString path)
    : m_db(std::move(db)), m_path(std::move(path)), m_queue(std::make_unique<Queue>()),
      m_writes(std::make_unique<Writes>())
{}

HistoryStore::~HistoryStore()
{
    m_writes.reset(); // statements before the connection they belong to
}

Result<std::unique_ptr<HistoryStore>> HistoryStore::open(const QString &path)
{
    const QFileInfo info(path);
    if (!QDir().mkpath(info.absolutePath()))
        return Error{QStringLiteral("history-db"),
                     QStringLiteral("%1: cannot create the directory").arg(info.absolutePath())};
    auto db = SqliteDb::open(path, 5000);
    if (!db)
        return db.error();
    std::unique_ptr<HistoryStore> store(
        new HistoryStore(std::move(db).value(), info.absoluteFilePath()));
    // WAL: readers do not block the writer; NORMAL sync is durable against a process crash.
    for (const char *pragma :
         {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON"}) {
        if (auto r = store->m_db->exec(QString::fromLatin1(pragma),
                                       QStringLiteral("%1: %2").arg(path, QLatin1String(pragma)));
            !r)
            return r.error();
    }
    // A file that is not a database is found by the first read.
    if (auto m = HistorySchema::migrate(*store->m_db); !m)
        return Error{m.error().code, path + QStringLiteral(": ") + m.error().message};
    if (auto w = store->prepareWrites(); !w)
        return Error{w.error().code, path + QStringLiteral(": ") + w.error().message};
    return store;
}

Result<void> HistoryStore::prepareWrites()
{
    const auto prepare = [this](SqliteStatement &into, const char *sql) -> Result<void> {
        auto s = m_db->prepare(QString::fromLatin1(sql), QStringLiteral("preparing a write"));
        if (!s)
            return s.error();
        into = std::move(s).value();
        return {};
    };
    // Server facts: insert, or refresh the facts and keep the console's decision columns.
    for (auto r :
         {prepare(m_writes->attempt,
                  "INSERT INTO attempts (endpoint, task_id, task_type, attempt, reason, "
                  "started_at, ended_at, duration_ms, outcome, http_status, problem_type, "
                  "server_retry_after_ms, trace_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)"
                  " ON CONFLICT (endpoint, task_id, attempt) DO UPDATE SET "
                  "reason=excluded.reason, started_at=excluded.started_at,"
                  " ended_at=excluded.ended_at, duration_ms=excluded.duration_ms, "
                  "outcome=excluded.outcome, http_status=excluded.http_status, "
                  "problem_type=excluded.problem_type,"
                  " server_retry_after_ms=excluded.server_retry_after_ms, "
                  "trace_id=excluded.trace_id"),
          prepare(m_writes->decision,
                  "UPDATE attempts SET error_class=?, delay_ms=?, jitter=?, retry_after_ms=?, "
                  "policy=?, policy_version=?, stop_reason=?, defer_reason=?, "
                  "nominal_delay_ms=? WHERE endpoint=? AND task_id=? AND attempt=?"),
          prepare(m_writes->transition,
                  "INSERT INTO breaker_transitions (endpoint, task_type, at, from_state, "
                  "to_state, failure_rate, slow_call_rate, calls, failed_calls, slow_calls, "
                  "cause) VALUES (?,?,?,?,?,?,?,?,?,?,?)"),
          prepare(m_writes->lifecycle,
                  "INSERT INTO lifecycle_events (endpoint, task_id, at, attempt, from_state, "
                  "to_state, cause, detail) VALUES (?,?,?,?,?,?,?,?)"),
          prepare(m_writes->unschedule,
                  "DELETE FROM scheduled_retries WHERE endpoint=? AND task_id=?"),
          prepare(m_writes->schedule,
                  "INSERT OR REPLACE INTO scheduled_retries (endpoint, task_id, "
                  "failed_attempt, due_at, kind) VALUES (?,?,?,?,?)")}) {
        if (!r)
            return r;
    }
    return {};
}

void HistoryStore::queueAttempt(const AttemptFacts &f)
{
    m_queue->attempts.append(f);
}
void HistoryStore::queueDecision(const AttemptDecision &d)
{
    m_queue->decisions.append(d);
}
void HistoryStore::queueBreakerTransition(const QString &endpoint, const QString &type,
                                          const BreakerTransition &t, std::int64_t wallMs)
{
    m_queue->transitions.append({endpoint, type, t, wallMs});
}
void HistoryStore::queueLifecycle(const LifecycleEvent &e)
{
    m_queue->lifecycle.append(e);
}
void HistoryStore::queueSchedule(const ScheduledRetry &s)
{
    m_queue->schedules.append(s);
}
void HistoryStore::queueUnschedule(const QString &endpoint, const QString &taskId)
{
    m_queue->unschedules.append({endpoint, taskId});
}

int HistoryStore::pendingWrites() const
{
    return int(m_queue->attempts.size() + m_queue->decisions.size() + m_queue->transitions.size() +
               m_queue->lifecycle.size() + m_queue->schedules.size() + m_queue->unschedules.size());
}

Result<void> HistoryStore::flush()
{
    if (pendingWrites() == 0)
        return {};
    if (auto r = m_db->exec(QStringLiteral("BEGIN"), QStringLiteral("begin")); !r)
        return r;
    const auto fail = [this](const QString &what, const Error &e) -> Result<void> {
        (void)m_db->exec(QStringLiteral("ROLLBACK"), QString());
        return within(what, e);
    };
    SqliteStatement &attempt = m_writes->attempt;
    for (const AttemptFacts &f : std::as_const(m_queue->attempts)) {
        const RemoteAttempt &a = f.attempt;
        const QString reason = toText(a.reason);
        const QString outcome = toText(a.outcome);
        attempt.bind(1, f.endpoint);
        attempt.bind(2, f.taskId);
        attempt.bind(3, f.taskType);
        attempt.bind(4, a.number);
        attempt.bind(5, reason);
        attempt.bind(6, std::int64_t(a.startedAtMs));
        attempt.bind(7, a.endedAtMs);
        attempt.bind(8, a.durationMs);
        attempt.bind(9, outcome);
        attempt.bind(10, a.httpStatus);
        if (a.problem)
            attempt.bind(11, a.problem->type);
        attempt.bind(12, a.retryAfterMs);
        attempt.bindTextOrNull(13, a.traceId);
        if (auto r = attempt.run(); !r)
            return fail(QStringLiteral("writing an attempt"), r.error());
    }
    SqliteStatement &decision = m_writes->decision;
    for (const AttemptDecision &d : std::as_const(m_queue->decisions)) {
        const QString errorClass = d.errorClass ? toText(*d.errorClass) : QString();
        const QString jitter = d.jitter ? toText(*d.jitter) : QString();
        const QString stop = d.stopReason ? toText(*d.stopReason) : QString();
        decision.bindTextOrNull(1, errorClass);
        decision.bind(2, d.delayMs);
        decision.bindTextOrNull(3, jitter);
        decision.bind(4, d.retryAfterMs);
        decision.bindTextOrNull(5, d.policy);
        decision.bind(6, d.policyVersion);
        decision.bindTextOrNull(7, stop);
        decision.bindTextOrNull(8, d.deferReason);
        decision.bind(9, d.nominalDelayMs);
        decision.bind(10, d.endpoint);
        decision.bind(11, d.taskId);
        decision.bind(12, d.attempt);
        if (auto r = decision.run(); !r)
            return fail(QStringLiteral("writing a decision"), r.error());
    }
    SqliteStatement &transition = m_writes->transition;
    for (const auto &t : std::as_const(m_queue->transitions)) {
        const QString from = toText(t.t.from);
        const QString to = toText(t.t.to);
        transition.bind(1, t.endpoint);
        transition.bind(2, t.type);
        transition.bind(3, std::int64_t(t.wallMs));
        transition.bind(4, from);
        transition.bind(5, to);
        transition.bind(6, double(t.t.metrics.failureRate));
        transition.bind(7, double(t.t.metrics.slowCallRate));
        transition.bind(8, std::int64_t(t.t.metrics.calls));
        transition.bind(9, std::int64_t(t.t.metrics.failedCalls));
        transition.bind(10, std::int64_t(t.t.metrics.slowCalls));
        transition.bind(11, t.t.cause);
        if (auto r = transition.run(); !r)
            return fail(QStringLiteral("writing a breaker transition"), r.error());
    }
    SqliteStatement &lifecycle = m_writes->lifecycle;
    for (const LifecycleEvent &e : std::as_const(m_queue->lifecycle)) {
        lifecycle.bind(1, e.endpoint);
        lifecycle.bind(2, e.taskId);
        lifecycle.bind(3, std::int64_t(e.atWallMs));
        lifecycle.bind(4, e.attempt);
        lifecycle.bind(5, e.from);
        lifecycle.bind(6, e.to);
        lifecycle.bind(7, e.cause);
        lifecycle.bind(8, e.detail);
        if (auto r = lifecycle.run(); !r)
            return fail(QStringLiteral("writing a lifecycle event"), r.error());
    }
    SqliteStatement &unschedule = m_writes->unschedule;
    for (const auto &[endpoint, id] : std::as_const(m_queue->unschedules)) {
        unschedule.bind(1, endpoint);
        unschedule.bind(2, id);
        if (auto r = unschedule.run(); !r)
            return fail(QStringLiteral("removing a scheduled retry"), r.error());
    }
    SqliteStatement &schedule = m_writes->schedule;
    for (const ScheduledRetry &s : std::as_const(m_queue->schedules)) {
        schedule.bind(1, s.endpoint);
        schedule.bind(2, s.taskId);
        schedule.bind(3, s.failedAttempt);
        schedule.bind(4, std::int64_t(s.dueWallMs));
        schedule.bind(5, s.kind);
        if (auto r = schedule.run(); !r)
            return fail(QStringLiteral("writing a scheduled retry"), r.error());
    }
    if (auto r = m_db->exec(QStringLiteral("COMMIT"), QStringLiteral("commit")); !r) {
        (void)m_db->exec(QStringLiteral("ROLLBACK"), QString());
        return r;
    }
    *m_queue = Queue{};
    return {};
}

Result<void> HistoryStore::putOutbox(const OutboxEntry &e)
{
    auto q = m_db->prepare(
        QStringLiteral("INSERT OR REPLACE INTO outbox (endpoint, idempotency_key, task_id, action, "
                       "body, if_match, attempt, fence) VALUES (?,?,?,?,?,?,?,?)"),
        QStringLiteral("writing the outbox"));
    if (!q)
        return q.error();
    const QString key = QString::fromLatin1(e.idempotencyKey);
    const QString fence = QString::fromLatin1(e.fence);
    q->bind(1, e.endpoint);
    q->bind(2, key);
    q->bind(3, e.taskId);
    q->bind(4, e.action);
    q->bindBlob(5, e.body);
    q->bind(6, std::int64_t(e.ifMatch));
    q->bind(7, e.attemptNumber);
    q->bind(8, fence);
    if (auto r = q->run(); !r)
        return within(QStringLiteral("writing the outbox"), r.error());
    return {};
}

Result<void> HistoryStore::removeOutbox(const QString &endpoint, const QByteArray &key)
{
    auto q =
        m_db->prepare(QStringLiteral("DELETE FROM outbox WHERE endpoint=? AND idempotency_key=?"),
                      QStringLiteral("clearing the outbox"));
    if (!q)
        return q.error();
    const QString k = QString::fromLatin1(key);
    q->bind(1, endpoint);
    q->bind(2, k);
    if (auto r = q->run(); !r)
        return within(QStringLiteral("clearing the outbox"), r.error());
    return {};
}

QList<OutboxEntry> HistoryStore::outbox() const
{
    QList<OutboxEntry> out;
    auto q = m_db->prepare(
        QStringLiteral("SELECT endpoint, idempotency_key, task_id, action, body, if_match, "
                       "attempt, fence FROM outbox"),
        QString());
    while (q && q->step().value_or(false))
        out.append(OutboxEntry{q->text(0), q->text(2), q->text(3), q->bytes(1).toByteArray(),
                               q->bytes(4).toByteArray(), q->int64(5), int(q->int64(6)),
                               q->bytes(7).toByteArray()});
    return out;
}

QList<ScheduledRetry> HistoryStore::scheduled() const
{
    QList<ScheduledRetry> out;
    auto q = m_db->prepare(
        QStringLiteral(
            "SELECT endpoint, task_id, failed_attempt, due_at, kind FROM scheduled_retries"),
        QString());
    while (q && q->step().value_or(false))
        out.append(
            ScheduledRetry{q->text(0), q->text(1), int(q->int64(2)), q->int64(3), q->text(4)});
    return out;
}

Result<void> HistoryStore::recordPolicyVersion(int version, std::int64_t wallMs,
                                               const QString &source, const QByteArray &sha256,
                                               const QByteArray &content)
{
    auto q = m_db->prepare(QStringLiteral("INSERT OR REPLACE INTO policy_versions (version, at, "
                                          "source, sha256, content) VALUES (?,?,?,?,?)"),
                           QStringLiteral("writing a policy version"));
    if (!q)
        return q.error();
    const QString sha = QString::fromLatin1(sha256);
    q->bind(1, version);
    q->bind(2, wallMs);
    q->bind(3, source);
    q->bind(4, sha);
    q->bindBlob(5, content);
    if (auto r = q->run(); !r)
        return within(QStringLiteral("writing a policy version"), r.error());
    return {};
}

QList<HistoryStore::Row> HistoryStore::attempts(const QString &endpoint,
                                                const QString &taskId) const
{
    QList<Row> out;
    auto q = m_db->prepare(
        QStringLiteral("SELECT attempt, reason, outcome, stop_reason, delay_ms, error_class, "
                       "jitter, retry_after_ms, policy, policy_version, defer_reason, ended_at, "
                       "nominal_delay_ms FROM attempts WHERE endpoint=? AND task_id=? ORDER BY "
                       "attempt"),
        QString());
    if (!q)
        return out;
    q->bind(1, endpoint);
    q->bind(2, taskId);
    while (q->step().value_or(false))
        out.append(Row{int(q->int64(0)), q->text(1), q->text(2), q->text(3), q->optionalInt(4),
                       q->text(5), q->text(6), q->optionalInt(7), q->text(8), int(q->int64(9)),
                       q->text(10), q->optionalInt(11), q->optionalInt(12)});
    return out;
}

QList<LifecycleEvent> HistoryStore::lifecycle(const QString &endpoint, const QString &taskId) const
{
    QList<LifecycleEvent> out;
    auto q = m_db->prepare(QStringLiteral("SELECT attempt, from_state, to_state, cause, detail, "
                                          "at FROM lifecycle_events WHERE endpoint=? AND "
                                          "task_id=? ORDER BY id"),
                           QString());
    if (!q)
        return out;
    q->bind(1, endpoint);
    q->bind(2, taskId);
    while (q->step().value_or(false))
        out.append(LifecycleEvent{endpoint, taskId, int(q->int64(0)), q->text(1), q->text(2),
                                  q->text(3), q->text(4), q->int64(5)});
    return out;
}

std::int64_t HistoryStore::attemptCount() const
{
    auto q = m_db->prepare(QStringLiteral("SELECT COUNT(*) FROM attempts"), QString());
    if (q && q->step().value_or(false))
        return q->int64(0);
    return -1;
}

QHash<QString, QPair<int, std::int64_t>> HistoryStore::requeues(const QString &endpoint) const
{
    QHash<QString, QPair<int, std::int64_t>> out;
    auto q = m_db->prepare(QStringLiteral("SELECT task_id, attempt, at FROM lifecycle_events "
                                          "WHERE endpoint=? AND cause='operator_requeue' ORDER "
                                          "BY id"),
                           QString());
    if (!q)
        return out;
    q->bind(1, endpoint);
    while (q->step().value_or(false)) // later rows replace earlier ones: the latest counts
        out.insert(q->text(0), {int(q->int64(1)), q->int64(2)});
    return out;
}

QHash<QString, int> HistoryStore::knownAttempts(const QString &endpoint) const
{
    QHash<QString, int> out;
    auto q = m_db->prepare(
        QStringLiteral(
            "SELECT task_id, MAX(attempt) FROM attempts WHERE endpoint=? GROUP BY task_id"),
        QString());
    if (!q)
        return out;
    q->bind(1, endpoint);
    while (q->step().value_or(false))
        out.insert(q->text(0), int(q->int64(1)));
    return out;
}

QString HistoryStore::integrityCheck() const
{
    auto q =
        m_db->prepare(QStringLiteral("PRAGMA integrity_check"), QStringLiteral("integrity check"));
    if (!q)
        return q.error().message;
    auto row = q->step();
    if (!row)
        return row.error().message;
    return *row ? q->text(0) : QString();
}

Result<int> HistoryStore::purgeBefore(std::int64_t wallMs)
{
    // Rows of tasks with a retry still scheduled stay: their history is still being written.
    const auto purge = [&](const char *sql, const QString &what) -> Result<int> {
        auto q = m_db->prepare(QString::fromLatin1(sql), what);
        if (!q)
            return q.error();
        q->bind(1, wallMs);
        if (auto r = q->run(); !r)
            return within(what, r.error());
        return m_db->changes();
    };
    const auto removed = purge("DELETE FROM attempts WHERE started_at < ? AND (endpoint, task_id) "
                               "NOT IN (SELECT endpoint, task_id FROM scheduled_retries)",
                               QStringLiteral("purging old attempts"));
    if (!removed)
        return removed;
    if (auto r = purge("DELETE FROM lifecycle_events WHERE at < ? AND (endpoint, task_id) NOT IN "
                       "(SELECT endpoint, task_id FROM scheduled_retries)",
                       QStringLiteral("purging old lifecycle events"));
        !r)
        return r.error();
    return removed;
}

Result<std::int64_t>
HistoryStore::exportCsv(QIODevice &out, const ExportFilter &f,
                        const std::function<void(std::int64_t, std::int64_t)> &progress,
                        const std::atomic<bool> *cancel) const
{
    return CsvExport::run(*m_db, out, f, progress, cancel);
}

} // namespace rebound
