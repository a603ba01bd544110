#pragma once

#include "history/SqliteStatement.h"
#include "support/Result.h"

#include <QString>

struct sqlite3;

namespace rebound {

/// One connection to an SQLite database through SQLite's own C API (libsqlite3), used on one
/// thread. Every failure comes back as an error value saying what was being done and SQLite's
/// words for it.
class SqliteDb final
{
    Q_DISABLE_COPY_MOVE(SqliteDb)

public:
    /// Opens (creating) `path`, waiting up to `busyTimeoutMs` for another connection's lock.
    static Result<std::unique_ptr<SqliteDb>> open(const QString &path, int busyTimeoutMs);
    ~SqliteDb();

    /// Runs one or more statements that return no rows.
    Result<void> exec(const QString &sql, const QString &what);
    Result<SqliteStatement> prepare(const QString &sql, const QString &what);
    /// Rows the last INSERT, UPDATE or DELETE changed.
    int changes() const;
    /// `what` and SQLite's last error message, as an error value.
    Error error(const QString &what) const;

private:
    explicit SqliteDb(sqlite3 *db) : m_db(db) {}
    sqlite3 *m_db;
};

} // namespace rebound
