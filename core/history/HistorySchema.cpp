#include "history/HistorySchema.h"

#include "history/SqliteDb.h"

namespace rebound {

namespace {

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

Result<void> HistorySchema::migrate(SqliteDb &db)
{
    int version = 0;
    {
        auto q = db.prepare(QStringLiteral("SELECT name FROM sqlite_master WHERE type='table' "
                                           "AND name='schema_version'"),
                            QStringLiteral("not a usable SQLite database"));
        if (!q)
            return q.error();
        auto row = q->step();
        if (!row)
            return Error{row.error().code,
                         QStringLiteral("not a usable SQLite database: ") + row.error().message};
        if (*row) {
            auto v = db.prepare(QStringLiteral("SELECT version FROM schema_version"),
                                QStringLiteral("reading the schema version"));
            if (v && v->step().value_or(false))
                version = int(v->int64(0));
        }
    }
    if (version > kVersion)
        return Error{QStringLiteral("history-db"),
                     QStringLiteral("schema version %1 is newer than this Rebound (%2)")
                         .arg(version)
                         .arg(kVersion)};
    if (version == kVersion)
        return {};
    if (auto r = db.exec(QStringLiteral("BEGIN"), QStringLiteral("migrating the schema")); !r)
        return r;
    const auto failed = [&db](const Error &e) -> Result<void> {
        (void)db.exec(QStringLiteral("ROLLBACK"), QString());
        return e;
    };
    // Version 2: each retry's delay before jitter (the Attempts pane shows both).
    if (version == 1) {
        if (auto r =
                db.exec(QStringLiteral("ALTER TABLE attempts ADD COLUMN nominal_delay_ms INTEGER"),
                        QStringLiteral("migrating the schema from version 1"));
            !r)
            return failed(r.error());
    }
    // Version 3: a fleet member's fencing token travels with the action it was sent with.
    // (Added only to an outbox that exists: the table came in after version 1.)
    bool hasOutbox = false;
    bool hasFence = false;
    if (auto info = db.prepare(QStringLiteral("PRAGMA table_info(outbox)"), QString())) {
        while (info->step().value_or(false)) {
            hasOutbox = true;
            hasFence = hasFence || info->text(1) == QLatin1String("fence");
        }
    }
    if (hasOutbox && !hasFence) {
        if (auto r = db.exec(
                QStringLiteral("ALTER TABLE outbox ADD COLUMN fence TEXT NOT NULL DEFAULT ''"),
                QStringLiteral("migrating the schema from version %1").arg(version));
            !r)
            return failed(r.error());
    }
    for (const char *stmt : kSchema) {
        if (auto r = db.exec(QString::fromLatin1(stmt), QStringLiteral("creating the schema")); !r)
            return failed(r.error());
    }
    if (auto r = db.exec(QStringLiteral("DELETE FROM schema_version; INSERT INTO "
                                        "schema_version (version) VALUES (%1); COMMIT")
                             .arg(kVersion),
                         QStringLiteral("recording the schema version"));
        !r)
        return failed(r.error());
    return {};
}

} // namespace rebound
