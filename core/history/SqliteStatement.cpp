#include "history/SqliteStatement.h"

#include <sqlite3.h>

#include <utility>

namespace rebound {

SqliteStatement::~SqliteStatement()
{
    sqlite3_finalize(m_stmt); // a no-op for null
}

SqliteStatement::SqliteStatement(SqliteStatement &&other) noexcept
    : m_stmt(std::exchange(other.m_stmt, nullptr))
{}

SqliteStatement &SqliteStatement::operator=(SqliteStatement &&other) noexcept
{
    if (this != &other) {
        sqlite3_finalize(m_stmt);
        m_stmt = std::exchange(other.m_stmt, nullptr);
    }
    return *this;
}

void SqliteStatement::bind(int index, std::int64_t value)
{
    sqlite3_bind_int64(m_stmt, index, sqlite3_int64(value));
}

void SqliteStatement::bind(int index, double value)
{
    sqlite3_bind_double(m_stmt, index, value);
}

void SqliteStatement::bind(int index, const QString &value)
{
    // UTF-16 as QString holds it (SQLite converts to the database's UTF-8 itself); static:
    // the string outlives the step that follows.
    static const char16_t empty[] = u"";
    sqlite3_bind_text16(m_stmt, index,
                        value.isNull() ? static_cast<const void *>(empty)
                                       : static_cast<const void *>(value.utf16()),
                        int(value.size() * 2), SQLITE_STATIC);
}

void SqliteStatement::bindBlob(int index, const QByteArray &value)
{
    sqlite3_bind_blob(m_stmt, index, value.isNull() ? "" : value.constData(), int(value.size()),
                      SQLITE_STATIC);
}

void SqliteStatement::bindNull(int index)
{
    sqlite3_bind_null(m_stmt, index);
}

void SqliteStatement::bindTextOrNull(int index, const QString &value)
{
    if (value.isEmpty())
        bindNull(index);
    else
        bind(index, value);
}

void SqliteStatement::bind(int index, const std::optional<std::int64_t> &value)
{
    if (value)
        bind(index, *value);
    else
        bindNull(index);
}

void SqliteStatement::bind(int index, const std::optional<int> &value)
{
    if (value)
        bind(index, std::int64_t(*value));
    else
        bindNull(index);
}

Result<bool> SqliteStatement::step()
{
    const int rc = sqlite3_step(m_stmt);
    if (rc == SQLITE_ROW)
        return true;
    if (rc == SQLITE_DONE)
        return false;
    return Error{QStringLiteral("history-db"),
                 QString::fromUtf8(sqlite3_errmsg(sqlite3_db_handle(m_stmt)))};
}

Result<void> SqliteStatement::run()
{
    const auto r = step();
    reset();
    if (!r)
        return r.error();
    return {};
}

void SqliteStatement::reset()
{
    sqlite3_reset(m_stmt);
    sqlite3_clear_bindings(m_stmt);
}

bool SqliteStatement::isNull(int column) const
{
    return sqlite3_column_type(m_stmt, column) == SQLITE_NULL;
}

std::int64_t SqliteStatement::int64(int column) const
{
    return std::int64_t(sqlite3_column_int64(m_stmt, column));
}

double SqliteStatement::real(int column) const
{
    return sqlite3_column_double(m_stmt, column);
}

QString SqliteStatement::text(int column) const
{
    const auto *p = reinterpret_cast<const char *>(sqlite3_column_text(m_stmt, column));
    return p ? QString::fromUtf8(p, sqlite3_column_bytes(m_stmt, column)) : QString();
}

QByteArrayView SqliteStatement::bytes(int column) const
{
    // Asked for as a blob: SQLite's stored bytes, without a conversion.
    const auto *p = static_cast<const char *>(sqlite3_column_blob(m_stmt, column));
    return p ? QByteArrayView(p, sqlite3_column_bytes(m_stmt, column)) : QByteArrayView();
}

std::optional<std::int64_t> SqliteStatement::optionalInt(int column) const
{
    return isNull(column) ? std::nullopt : std::optional(int64(column));
}

} // namespace rebound
