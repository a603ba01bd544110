#pragma once

#include "support/Result.h"

#include <QFile>
#include <QJsonObject>
#include <QList>

#include <memory>

namespace rebound::taskd {

/// An append-only JSON-lines journal of the service's state, so a restarted rebound-taskd still
/// knows its tasks, attempts and idempotency keys. Every line is the whole latest state of one
/// record with a key ("task:<id>" or "idem:<scope>"); replay keeps the last line per key. Each
/// append is one unbuffered write(2), so a SIGKILL loses at most the line being written, which
/// replay skips and counts.
class TaskJournal final
{
public:
    struct Contents
    {
        QList<QJsonObject> records; ///< the latest record per key, in first-seen order
        int skipped = 0;            ///< unreadable lines (a torn last write)
    };

    TaskJournal(const TaskJournal &) = delete;
    TaskJournal &operator=(const TaskJournal &) = delete;

    /// Reads the journal at `path` (a missing file is an empty journal), rewrites it compacted
    /// (atomically) and opens it for appending.
    static Result<std::unique_ptr<TaskJournal>> open(const QString &path, Contents &contents);

    /// Appends records in one write. Each needs a string member "key".
    Result<void> append(const QList<QJsonObject> &records);

    /// Lines longer than this are refused on replay (a task with thousands of attempts is ~1 MB).
    static constexpr qsizetype kMaxLineBytes = 16 * 1024 * 1024;

private:
    TaskJournal() = default;
    QFile m_file;
};

} // namespace rebound::taskd
