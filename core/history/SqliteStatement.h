#pragma once

#include "support/Result.h"

#include <QByteArray>
#include <QString>

#include <cstdint>
#include <optional>

struct sqlite3_stmt;

namespace rebound {

/// One prepared statement of SQLite's C API. Bound values are copied by SQLite only when it
/// must: a QString or QByteArray bound here has to stay alive until the statement has been
/// stepped (the history's writes bind and step at once, so they hand SQLite their own bytes
/// instead of converting each value through QVariant, which cost more than the insert).
class SqliteStatement final
{
public:
    SqliteStatement() = default;
    explicit SqliteStatement(sqlite3_stmt *stmt) : m_stmt(stmt) {}
    ~SqliteStatement();
    SqliteStatement(SqliteStatement &&other) noexcept;
    SqliteStatement &operator=(SqliteStatement &&other) noexcept;
    SqliteStatement(const SqliteStatement &) = delete;
    SqliteStatement &operator=(const SqliteStatement &) = delete;

    bool isValid() const { return m_stmt != nullptr; }

    // Parameters count from 1, as in SQL. An empty string binds as text, not NULL.
    void bind(int index, std::int64_t value);
    void bind(int index, int value) { bind(index, std::int64_t(value)); }
    void bind(int index, double value);
    void bind(int index, const QString &value);
    void bindBlob(int index, const QByteArray &value);
    void bindNull(int index);
    /// NULL when empty.
    void bindTextOrNull(int index, const QString &value);
    void bind(int index, const std::optional<std::int64_t> &value);
    void bind(int index, const std::optional<int> &value);

    /// One step: a row (true), done (false), or SQLite's error in words.
    Result<bool> step();
    /// Runs a statement that returns no rows, then makes it ready for the next binds.
    Result<void> run();
    /// Ready for new binds (the old ones cleared).
    void reset();

    // Columns count from 0.
    bool isNull(int column) const;
    std::int64_t int64(int column) const;
    double real(int column) const;
    QString text(int column) const;
    /// The column's bytes as SQLite holds them (UTF-8 for text), valid until the next step.
    QByteArrayView bytes(int column) const;
    std::optional<std::int64_t> optionalInt(int column) const;

private:
    sqlite3_stmt *m_stmt = nullptr;
};

} // namespace rebound
