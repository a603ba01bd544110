#pragma once

#include "history/HistoryStore.h"

#include <QIODevice>
#include <QStringList>

#include <atomic>
#include <functional>

namespace rebound {

/// The CSV export contract: RFC 4180, UTF-8, RFC 3339 UTC times, formula cells neutralised,
/// streamed from the history's database a chunk at a time (a million rows never sit in memory).
class CsvExport final
{
public:
    static const QStringList &header();
    /// The SELECT behind the export, rows in export order; `where` starts with " WHERE" or is
    /// empty. (The benchmark hands the same statement to the sqlite3 shell.)
    static QString query(const QString &where);
    /// Streams matching attempts (header first) from `db`.
    static Result<std::int64_t>
    run(SqliteDb &db, QIODevice &out, const ExportFilter &filter,
        const std::function<void(std::int64_t, std::int64_t)> &progress,
        const std::atomic<bool> *cancel);
};

} // namespace rebound
