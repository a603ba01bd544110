#pragma once

#include "TaskJournal.h"
#include "remote/RemoteTask.h"
#include "support/Result.h"
#include "time/Clock.h"

#include <QHash>
#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QMap>

#include <functional>
#include <map>
#include <memory>

namespace rebound::taskd {

/// One task as the service keeps it.
struct TaskRecord
{
    RemoteTask task;
    QList<RemoteAttempt> attempts;
    std::uint64_t seq = 0; ///< its place in the change order
    QJsonValue payload;
};

/// Where rebound-taskd's tasks live: the records, their change order (what delta listings and
/// the watch read, with cursors that expire across restarts and on request) and the journal
/// that keeps them, and any other keyed state handed to it, across a restart.
class TaskStore final
{
public:
    /// `changed` hears every change (the watch hub wakes its subscribers).
    TaskStore(const Clock &clock, std::function<void()> changed);
    TaskStore(const TaskStore &) = delete;
    TaskStore &operator=(const TaskStore &) = delete;

    /// An id of the service's own, never used before in this process or an earlier one.
    QString newId();
    /// Records a new task (version 1).
    TaskRecord &create(const QString &id, const QString &type, const QMap<QString, QString> &labels,
                       const QJsonValue &payload);
    TaskRecord *find(const QString &id);
    const TaskRecord *find(const QString &id) const;
    bool contains(const QString &id) const { return m_tasks.contains(id); }
    int size() const { return static_cast<int>(m_tasks.size()); }
    QStringList ids() const { return m_tasks.keys(); }

    /// A change to `r` (its version, update time and place in the change order move).
    void touch(TaskRecord &r);
    /// Records the start of the task's next attempt, running now.
    const RemoteAttempt &beginAttempt(TaskRecord &r, AttemptReason reason, const QString &traceId);

    // The change order.
    QByteArray cursorFor(std::uint64_t seq) const;
    /// The sequence number a cursor names; nothing when it is not a cursor, or (`expired`) one
    /// of an earlier process or below the horizon.
    std::optional<std::uint64_t> decodeCursor(const QString &cursor, bool &expired) const;
    std::uint64_t head() const { return m_seq; }
    std::uint64_t horizon() const { return m_horizon; }
    /// Whether anything changed after `since`.
    bool changedAfter(std::uint64_t since) const
    {
        return m_bySeq.upper_bound(since) != m_bySeq.end();
    }
    /// Up to `limit` tasks changed after `since`, in change order; `last` is the sequence number
    /// of the last one, `more` whether others follow.
    QJsonArray changesSince(std::uint64_t since, int limit, std::uint64_t &last, bool &more) const;
    /// The listing's entity tag (without quotes): it moves with every change.
    QByteArray listTag() const;
    /// Makes every cursor issued so far expire (the next delta query answers 410).
    void expireCursors();

    // The journal.
    /// Restores what the journal at `path` holds and keeps state there from now on. Records
    /// that are not tasks go to `other` (by key). Attempts that were running when the earlier
    /// process died end as failed ("interrupted", 503). Returns how many tasks were restored.
    Result<int>
    openJournal(const QString &path,
                const std::function<void(const QString &key, const QJsonObject &)> &other);
    /// Keeps a record (with a string member "key"); written at once unless held.
    void journal(QJsonObject record);
    /// Records journaled until release() go in one write.
    void hold() { m_hold = true; }
    void release();
    bool journaling() const { return m_journal != nullptr; }

private:
    QJsonObject journalRecord(const TaskRecord &r) const;
    void flush();

    const Clock &m_clock;
    std::function<void()> m_changed;
    QByteArray m_epoch;
    std::uint64_t m_seq = 0;
    std::uint64_t m_horizon = 0; ///< cursors below this have expired
    std::uint64_t m_nextId = 1;
    QHash<QString, TaskRecord> m_tasks;
    std::map<std::uint64_t, QString> m_bySeq;
    std::unique_ptr<TaskJournal> m_journal;
    QList<QJsonObject> m_pending;
    bool m_hold = false;
};

} // namespace rebound::taskd
