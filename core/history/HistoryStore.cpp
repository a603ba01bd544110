#include "HistoryStore.h"

#include "CsvExport.h"
#include "SqlError.h"

#include "Csv.h"
#include "Rfc3339.h"

#include <QDir>
#include <QFileInfo>
#include <QIODevice>
#include <QSqlError>
#include <QSqlQuery>
#include <QUuid>
#include <QVariant>

namespace rebound {

namespace {

QVariant opt(const std::optional<std::int64_t> &v)
{
    return v ? QVariant(qint64(*v)) : QVariant();
}
QVariant opt(const std::optional<int> &v)
{
    return v ? QVariant(*v) : QVariant();
}
QVariant text(const QString &s)
{
    return s.isEmpty() ? QVariant() : QVariant(s);
}

const char *kSchema[] = {
    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS attempts ("
    " endpoint TEXT NOT NULL, task_id TEXT NOT NULL, task_type TEXT NOT NULL, attempt INTEGER NOT "
    "NULL,"
    " reason TEXT NOT NULL, started_at INTEGER NOT NULL, ended_at INTEGER, duration_ms INTEGER,"
    " outcome TEXT NOT NULL, http_status INTEGER, problem_type TEXT, server_retry_after_ms "
    "INTEGER, trace_id TEXT,"
    " error_class TEXT, retry_after_ms INTEGER, delay_ms INTEGER, jitter TEXT, policy TEXT, "
    "policy_version INTEGER,"
    " stop_reason TEXT, defer_reason TEXT, nominal_delay_ms INTEGER,"
    " PRIMARY KEY (endpoint, task_id, attempt))",
    "CREATE INDEX IF NOT EXISTS attempts_started ON attempts (started_at)",
    "CREATE TABLE IF NOT EXISTS breaker_transitions ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT, endpoint TEXT NOT NULL, task_type TEXT NOT NULL, at "
    "INTEGER NOT NULL,"
    " from_state TEXT NOT NULL, to_state TEXT NOT NULL, failure_rate REAL, slow_call_rate REAL, "
    "calls INTEGER,"
    " failed_calls INTEGER, slow_calls INTEGER, cause TEXT)",
    "CREATE TABLE IF NOT EXISTS lifecycle_events ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT, endpoint TEXT NOT NULL, task_id TEXT NOT NULL,"
    " at INTEGER NOT NULL, attempt INTEGER NOT NULL, from_state TEXT NOT NULL,"
    " to_state TEXT NOT NULL, cause TEXT NOT NULL, detail TEXT)",
    "CREATE INDEX IF NOT EXISTS lifecycle_task ON lifecycle_events (endpoint, task_id)",
    "CREATE TABLE IF NOT EXISTS policy_versions ("
    " version INTEGER PRIMARY KEY, at INTEGER NOT NULL, source TEXT NOT NULL, sha256 TEXT NOT "
    "NULL, content BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS scheduled_retries ("
    " endpoint TEXT NOT NULL, task_id TEXT NOT NULL, failed_attempt INTEGER NOT NULL, due_at "
    "INTEGER NOT NULL,"
    " kind TEXT NOT NULL, PRIMARY KEY (endpoint, task_id))",
    "CREATE TABLE IF NOT EXISTS outbox ("
    " endpoint TEXT NOT NULL, idempotency_key TEXT NOT NULL, task_id TEXT NOT NULL, action TEXT "
    "NOT NULL,"
    " body BLOB NOT NULL, if_match INTEGER NOT NULL, attempt INTEGER NOT NULL,"
    " fence TEXT NOT NULL DEFAULT '', PRIMARY KEY (endpoint, idempotency_key))",
};

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

HistoryStore::HistoryStore(QString connectionName)
    : m_connection(std::move(connectionName)), m_queue(std::make_unique<Queue>())
{}

HistoryStore::~HistoryStore()
{
    {
        QSqlDatabase db = QSqlDatabase::database(m_connection, false);
        if (db.isOpen())
            db.close();
    }
    QSqlDatabase::removeDatabase(m_connection);
}

Result<std::unique_ptr<HistoryStore>> HistoryStore::open(const QString &path)
{
    const QFileInfo info(path);
    if (!QDir().mkpath(info.absolutePath()))
        return Error{QStringLiteral("history-db"),
                     QStringLiteral("%1: cannot create the directory").arg(info.absolutePath())};
    const QString name =
        QStringLiteral("rebound-history-") + QUuid::createUuid().toString(QUuid::WithoutBraces);
    std::unique_ptr<HistoryStore> store(new HistoryStore(name));
    store->m_path = info.absoluteFilePath();
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
    db.setDatabaseName(path);
    db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=5000"));
    if (!db.open())
        return sqlError(QStringLiteral("%1: cannot open").arg(path), db.lastError());
    QSqlQuery q(db);
    // WAL: readers do not block the writer; NORMAL sync is durable against a process crash.
    for (const char *pragma :
         {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON"}) {
        if (!q.exec(QString::fromLatin1(pragma)))
            return sqlError(QStringLiteral("%1: %2").arg(path, QString::fromLatin1(pragma)),
                            q.lastError());
    }
    if (auto m = store->migrate(); !m)
        return Error{m.error().code, path + QStringLiteral(": ") + m.error().message};
    return store;
}

Result<void> HistoryStore::migrate()
{
    QSqlDatabase db = QSqlDatabase::database(m_connection);
    QSqlQuery q(db);
    if (!q.exec(QStringLiteral(
            "SELECT name FROM sqlite_master WHERE type='table' AND name='schema_version'")))
        return sqlError(QStringLiteral("not a usable SQLite database"), q.lastError());
    int version = 0;
    if (q.next() && q.exec(QStringLiteral("SELECT version FROM schema_version")) && q.next())
        version = q.value(0).toInt();
    if (version > kSchemaVersion)
        return Error{QStringLiteral("history-db"),
                     QStringLiteral("schema version %1 is newer than this Rebound (%2)")
                         .arg(version)
                         .arg(kSchemaVersion)};
    if (version == kSchemaVersion)
        return {};
    db.transaction();
    // Version 2: each retry's delay before jitter (the Attempts pane shows both).
    if (version == 1 &&
        !q.exec(QStringLiteral("ALTER TABLE attempts ADD COLUMN nominal_delay_ms INTEGER"))) {
        db.rollback();
        return sqlError(QStringLiteral("migrating the schema from version 1"), q.lastError());
    }
    // Version 3: a fleet member's fencing token travels with the action it was sent with.
    // (Added only to an outbox that exists: the table came in after version 1.)
    bool hasOutbox = false;
    bool hasFence = false;
    if (q.exec(QStringLiteral("PRAGMA table_info(outbox)")))
        while (q.next()) {
            hasOutbox = true;
            hasFence = hasFence || q.value(1).toString() == QLatin1String("fence");
        }
    if (hasOutbox && !hasFence &&
        !q.exec(QStringLiteral("ALTER TABLE outbox ADD COLUMN fence TEXT NOT NULL DEFAULT ''"))) {
        db.rollback();
        return sqlError(QStringLiteral("migrating the schema from version %1").arg(version),
                        q.lastError());
    }
    for (const char *stmt : kSchema) {
        if (!q.exec(QString::fromLatin1(stmt))) {
            db.rollback();
            return sqlError(QStringLiteral("creating the schema"), q.lastError());
        }
    }
    q.exec(QStringLiteral("DELETE FROM schema_version"));
    q.prepare(QStringLiteral("INSERT INTO schema_version (version) VALUES (?)"));
    q.addBindValue(kSchemaVersion);
    if (!q.exec() || !db.commit()) {
        db.rollback();
        return sqlError(QStringLiteral("recording the schema version"), q.lastError());
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
    QSqlDatabase db = QSqlDatabase::database(m_connection);
    if (!db.transaction())
        return sqlError(QStringLiteral("begin"), db.lastError());
    QSqlQuery q(db);
    const auto fail = [&](const QString &what) -> Result<void> {
        const Error e = sqlError(what, q.lastError());
        db.rollback();
        return e;
    };
    // Server facts: insert, or refresh the facts and keep the console's decision columns.
    q.prepare(QStringLiteral(
        "INSERT INTO attempts (endpoint, task_id, task_type, attempt, reason, started_at, "
        "ended_at, duration_ms, outcome,"
        " http_status, problem_type, server_retry_after_ms, trace_id) VALUES "
        "(?,?,?,?,?,?,?,?,?,?,?,?,?)"
        " ON CONFLICT (endpoint, task_id, attempt) DO UPDATE SET reason=excluded.reason, "
        "started_at=excluded.started_at,"
        " ended_at=excluded.ended_at, duration_ms=excluded.duration_ms, outcome=excluded.outcome,"
        " http_status=excluded.http_status, problem_type=excluded.problem_type,"
        " server_retry_after_ms=excluded.server_retry_after_ms, trace_id=excluded.trace_id"));
    for (const AttemptFacts &f : std::as_const(m_queue->attempts)) {
        const RemoteAttempt &a = f.attempt;
        q.addBindValue(f.endpoint);
        q.addBindValue(f.taskId);
        q.addBindValue(f.taskType);
        q.addBindValue(a.number);
        q.addBindValue(toText(a.reason));
        q.addBindValue(qint64(a.startedAtMs));
        q.addBindValue(opt(a.endedAtMs));
        q.addBindValue(opt(a.durationMs));
        q.addBindValue(toText(a.outcome));
        q.addBindValue(opt(a.httpStatus));
        q.addBindValue(a.problem ? QVariant(a.problem->type) : QVariant());
        q.addBindValue(opt(a.retryAfterMs));
        q.addBindValue(text(a.traceId));
        if (!q.exec())
            return fail(QStringLiteral("writing an attempt"));
    }
    q.prepare(QStringLiteral(
        "UPDATE attempts SET error_class=?, delay_ms=?, jitter=?, retry_after_ms=?, policy=?, "
        "policy_version=?,"
        " stop_reason=?, defer_reason=?, nominal_delay_ms=? WHERE endpoint=? AND task_id=? AND "
        "attempt=?"));
    for (const AttemptDecision &d : std::as_const(m_queue->decisions)) {
        q.addBindValue(d.errorClass ? QVariant(toText(*d.errorClass)) : QVariant());
        q.addBindValue(opt(d.delayMs));
        q.addBindValue(d.jitter ? QVariant(toText(*d.jitter)) : QVariant());
        q.addBindValue(opt(d.retryAfterMs));
        q.addBindValue(text(d.policy));
        q.addBindValue(d.policyVersion);
        q.addBindValue(d.stopReason ? QVariant(toText(*d.stopReason)) : QVariant());
        q.addBindValue(text(d.deferReason));
        q.addBindValue(opt(d.nominalDelayMs));
        q.addBindValue(d.endpoint);
        q.addBindValue(d.taskId);
        q.addBindValue(d.attempt);
        if (!q.exec())
            return fail(QStringLiteral("writing a decision"));
    }
    q.prepare(
        QStringLiteral("INSERT INTO breaker_transitions (endpoint, task_type, at, from_state, "
                       "to_state, failure_rate, slow_call_rate,"
                       " calls, failed_calls, slow_calls, cause) VALUES (?,?,?,?,?,?,?,?,?,?,?)"));
    for (const auto &t : std::as_const(m_queue->transitions)) {
        q.addBindValue(t.endpoint);
        q.addBindValue(t.type);
        q.addBindValue(qint64(t.wallMs));
        q.addBindValue(toText(t.t.from));
        q.addBindValue(toText(t.t.to));
        q.addBindValue(t.t.metrics.failureRate);
        q.addBindValue(t.t.metrics.slowCallRate);
        q.addBindValue(t.t.metrics.calls);
        q.addBindValue(t.t.metrics.failedCalls);
        q.addBindValue(t.t.metrics.slowCalls);
        q.addBindValue(t.t.cause);
        if (!q.exec())
            return fail(QStringLiteral("writing a breaker transition"));
    }
    q.prepare(QStringLiteral("INSERT INTO lifecycle_events (endpoint, task_id, at, attempt, "
                             "from_state, to_state, cause, detail) VALUES (?,?,?,?,?,?,?,?)"));
    for (const LifecycleEvent &e : std::as_const(m_queue->lifecycle)) {
        for (const QVariant &v :
             {QVariant(e.endpoint), QVariant(e.taskId), QVariant(qint64(e.atWallMs)),
              QVariant(e.attempt), QVariant(e.from), QVariant(e.to), QVariant(e.cause),
              QVariant(e.detail)})
            q.addBindValue(v);
        if (!q.exec())
            return fail(QStringLiteral("writing a lifecycle event"));
    }
    q.prepare(QStringLiteral("DELETE FROM scheduled_retries WHERE endpoint=? AND task_id=?"));
    for (const auto &[endpoint, id] : std::as_const(m_queue->unschedules)) {
        q.addBindValue(endpoint);
        q.addBindValue(id);
        if (!q.exec())
            return fail(QStringLiteral("removing a scheduled retry"));
    }
    q.prepare(QStringLiteral("INSERT OR REPLACE INTO scheduled_retries (endpoint, task_id, "
                             "failed_attempt, due_at, kind) VALUES (?,?,?,?,?)"));
    for (const ScheduledRetry &s : std::as_const(m_queue->schedules)) {
        q.addBindValue(s.endpoint);
        q.addBindValue(s.taskId);
        q.addBindValue(s.failedAttempt);
        q.addBindValue(qint64(s.dueWallMs));
        q.addBindValue(s.kind);
        if (!q.exec())
            return fail(QStringLiteral("writing a scheduled retry"));
    }
    if (!db.commit())
        return sqlError(QStringLiteral("commit"), db.lastError());
    *m_queue = Queue{};
    return {};
}

Result<void> HistoryStore::putOutbox(const OutboxEntry &e)
{
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.prepare(QStringLiteral("INSERT OR REPLACE INTO outbox (endpoint, idempotency_key, task_id, "
                             "action, body, if_match, attempt, fence) VALUES (?,?,?,?,?,?,?,?)"));
    q.addBindValue(e.endpoint);
    q.addBindValue(QString::fromLatin1(e.idempotencyKey));
    q.addBindValue(e.taskId);
    q.addBindValue(e.action);
    q.addBindValue(e.body);
    q.addBindValue(qint64(e.ifMatch));
    q.addBindValue(e.attemptNumber);
    q.addBindValue(QString::fromLatin1(e.fence));
    if (!q.exec())
        return sqlError(QStringLiteral("writing the outbox"), q.lastError());
    return {};
}

Result<void> HistoryStore::removeOutbox(const QString &endpoint, const QByteArray &key)
{
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.prepare(QStringLiteral("DELETE FROM outbox WHERE endpoint=? AND idempotency_key=?"));
    q.addBindValue(endpoint);
    q.addBindValue(QString::fromLatin1(key));
    if (!q.exec())
        return sqlError(QStringLiteral("clearing the outbox"), q.lastError());
    return {};
}

QList<OutboxEntry> HistoryStore::outbox() const
{
    QList<OutboxEntry> out;
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.exec(QStringLiteral(
        "SELECT endpoint, idempotency_key, task_id, action, body, if_match, attempt, fence "
        "FROM outbox"));
    while (q.next())
        out.append(OutboxEntry{q.value(0).toString(), q.value(2).toString(), q.value(3).toString(),
                               q.value(1).toString().toLatin1(), q.value(4).toByteArray(),
                               q.value(5).toLongLong(), q.value(6).toInt(),
                               q.value(7).toString().toLatin1()});
    return out;
}

QList<ScheduledRetry> HistoryStore::scheduled() const
{
    QList<ScheduledRetry> out;
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.exec(QStringLiteral(
        "SELECT endpoint, task_id, failed_attempt, due_at, kind FROM scheduled_retries"));
    while (q.next())
        out.append(ScheduledRetry{q.value(0).toString(), q.value(1).toString(), q.value(2).toInt(),
                                  q.value(3).toLongLong(), q.value(4).toString()});
    return out;
}

Result<void> HistoryStore::recordPolicyVersion(int version, std::int64_t wallMs,
                                               const QString &source, const QByteArray &sha256,
                                               const QByteArray &content)
{
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.prepare(QStringLiteral("INSERT OR REPLACE INTO policy_versions (version, at, source, sha256, "
                             "content) VALUES (?,?,?,?,?)"));
    q.addBindValue(version);
    q.addBindValue(qint64(wallMs));
    q.addBindValue(source);
    q.addBindValue(QString::fromLatin1(sha256));
    q.addBindValue(content);
    if (!q.exec())
        return sqlError(QStringLiteral("writing a policy version"), q.lastError());
    return {};
}

QList<HistoryStore::Row> HistoryStore::attempts(const QString &endpoint,
                                                const QString &taskId) const
{
    QList<Row> out;
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.prepare(QStringLiteral("SELECT attempt, reason, outcome, stop_reason, delay_ms, error_class, "
                             "jitter, retry_after_ms, policy,"
                             " policy_version, defer_reason, ended_at, nominal_delay_ms FROM "
                             "attempts WHERE endpoint=? AND "
                             "task_id=? ORDER BY attempt"));
    q.addBindValue(endpoint);
    q.addBindValue(taskId);
    q.exec();
    const auto optInt = [](const QVariant &v) {
        return v.isNull() ? std::nullopt : std::optional<std::int64_t>(v.toLongLong());
    };
    while (q.next())
        out.append(Row{q.value(0).toInt(), q.value(1).toString(), q.value(2).toString(),
                       q.value(3).toString(), optInt(q.value(4)), q.value(5).toString(),
                       q.value(6).toString(), optInt(q.value(7)), q.value(8).toString(),
                       q.value(9).toInt(), q.value(10).toString(), optInt(q.value(11)),
                       optInt(q.value(12))});
    return out;
}

QList<LifecycleEvent> HistoryStore::lifecycle(const QString &endpoint, const QString &taskId) const
{
    QList<LifecycleEvent> out;
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.prepare(QStringLiteral("SELECT attempt, from_state, to_state, cause, detail, at FROM "
                             "lifecycle_events WHERE endpoint=? AND task_id=? ORDER BY id"));
    q.addBindValue(endpoint);
    q.addBindValue(taskId);
    q.exec();
    while (q.next())
        out.append(LifecycleEvent{endpoint, taskId, q.value(0).toInt(), q.value(1).toString(),
                                  q.value(2).toString(), q.value(3).toString(),
                                  q.value(4).toString(), q.value(5).toLongLong()});
    return out;
}

std::int64_t HistoryStore::attemptCount() const
{
    QSqlQuery q(QSqlDatabase::database(m_connection));
    if (q.exec(QStringLiteral("SELECT COUNT(*) FROM attempts")) && q.next())
        return q.value(0).toLongLong();
    return -1;
}

QHash<QString, QPair<int, std::int64_t>> HistoryStore::requeues(const QString &endpoint) const
{
    QHash<QString, QPair<int, std::int64_t>> out;
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT task_id, attempt, at FROM lifecycle_events WHERE endpoint=? "
                             "AND cause='operator_requeue' ORDER BY id"));
    q.addBindValue(endpoint);
    q.exec();
    while (q.next()) // later rows replace earlier ones: the latest requeue counts
        out.insert(q.value(0).toString(), {q.value(1).toInt(), q.value(2).toLongLong()});
    return out;
}

QHash<QString, int> HistoryStore::knownAttempts(const QString &endpoint) const
{
    QHash<QString, int> out;
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.setForwardOnly(true);
    q.prepare(QStringLiteral(
        "SELECT task_id, MAX(attempt) FROM attempts WHERE endpoint=? GROUP BY task_id"));
    q.addBindValue(endpoint);
    q.exec();
    while (q.next())
        out.insert(q.value(0).toString(), q.value(1).toInt());
    return out;
}

QString HistoryStore::integrityCheck() const
{
    QSqlQuery q(QSqlDatabase::database(m_connection));
    if (q.exec(QStringLiteral("PRAGMA integrity_check")) && q.next())
        return q.value(0).toString();
    return q.lastError().text();
}

Result<int> HistoryStore::purgeBefore(std::int64_t wallMs)
{
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.prepare(QStringLiteral("DELETE FROM attempts WHERE started_at < ? AND (endpoint, task_id) "
                             "NOT IN (SELECT endpoint, task_id FROM scheduled_retries)"));
    q.addBindValue(qint64(wallMs));
    if (!q.exec())
        return sqlError(QStringLiteral("purging old attempts"), q.lastError());
    const int removed = q.numRowsAffected();
    q.prepare(QStringLiteral("DELETE FROM lifecycle_events WHERE at < ? AND (endpoint, task_id) "
                             "NOT IN (SELECT endpoint, task_id FROM scheduled_retries)"));
    q.addBindValue(qint64(wallMs));
    if (!q.exec())
        return sqlError(QStringLiteral("purging old lifecycle events"), q.lastError());
    return removed;
}

Result<std::int64_t>
HistoryStore::exportCsv(QIODevice &out, const ExportFilter &f,
                        const std::function<void(std::int64_t, std::int64_t)> &progress,
                        const std::atomic<bool> *cancel) const
{
    return CsvExport::run(m_connection, out, f, progress, cancel);
}

} // namespace rebound
