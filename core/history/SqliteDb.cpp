#include "history/SqliteDb.h"

#include <sqlite3.h>

namespace rebound {

Result<std::unique_ptr<SqliteDb>> SqliteDb::open(const QString &path, int busyTimeoutMs)
{
    sqlite3 *handle = nullptr;
    // NOMUTEX: a connection is used on one thread only, so SQLite need not lock around every
    // call (at a million exported rows the locking of each column read costs seconds).
    const int rc =
        sqlite3_open_v2(path.toUtf8().constData(), &handle,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    std::unique_ptr<SqliteDb> db(new SqliteDb(handle)); // closes a half-opened handle too
    if (rc != SQLITE_OK)
        return db->error(QStringLiteral("%1: cannot open").arg(path));
    sqlite3_busy_timeout(handle, busyTimeoutMs);
    sqlite3_extended_result_codes(handle, 1);
    return db;
}

SqliteDb::~SqliteDb()
{
    sqlite3_close_v2(m_db); // statements still held close it when they are finalised
}

Result<void> SqliteDb::exec(const QString &sql, const QString &what)
{
    char *message = nullptr;
    if (sqlite3_exec(m_db, sql.toUtf8().constData(), nullptr, nullptr, &message) == SQLITE_OK)
        return {};
    const QString text = message ? QString::fromUtf8(message) : QStringLiteral("unknown error");
    sqlite3_free(message);
    return Error{QStringLiteral("history-db"), QStringLiteral("%1: %2").arg(what, text)};
}

Result<SqliteStatement> SqliteDb::prepare(const QString &sql, const QString &what)
{
    sqlite3_stmt *stmt = nullptr;
    const QByteArray utf8 = sql.toUtf8();
    if (sqlite3_prepare_v2(m_db, utf8.constData(), int(utf8.size()), &stmt, nullptr) !=
        SQLITE_OK)
        return error(what);
    return SqliteStatement(stmt);
}

int SqliteDb::changes() const
{
    return sqlite3_changes(m_db);
}

Error SqliteDb::error(const QString &what) const
{
    return Error{QStringLiteral("history-db"),
                 QStringLiteral("%1: %2").arg(what, m_db ? QString::fromUtf8(sqlite3_errmsg(m_db))
                                                         : QStringLiteral("out of memory"))};
}

} // namespace rebound
