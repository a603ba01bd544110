#pragma once

#include "HistoryStore.h"

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
    /// Streams matching attempts (header first) from the database `connection` names.
    static Result<std::int64_t>
    run(const QString &connection, QIODevice &out, const ExportFilter &filter,
        const std::function<void(std::int64_t, std::int64_t)> &progress,
        const std::atomic<bool> *cancel);
};

} // namespace rebound
