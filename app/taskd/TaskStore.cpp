#include "TaskStore.h"

#include "decision/ProblemDetails.h"
#include "remote/TaskJson.h"

#include <QRandomGenerator>

#include <algorithm>

namespace rebound::taskd {

TaskStore::TaskStore(const Clock &clock, std::function<void()> changed)
    : m_clock(clock), m_changed(std::move(changed)),
      // A per-process epoch makes cursors from an earlier run of the service expire (410). It
      // comes from the system generator, not the seed, so a restarted service never reuses ids.
      m_epoch(QByteArray::number(QRandomGenerator::system()->generate(), 16))
{}

QString TaskStore::newId()
{
    return QStringLiteral("tsk-%1-%2").arg(QString::fromLatin1(m_epoch)).arg(m_nextId++);
}

TaskRecord &TaskStore::create(const QString &id, const QString &type,
                              const QMap<QString, QString> &labels, const QJsonValue &payload)
{
    TaskRecord r;
    r.task.id = id;
    r.task.type = type;
    r.task.labels = labels;
    r.task.createdAtMs = m_clock.wallNowMs();
    r.payload = payload;
    TaskRecord &stored = m_tasks[id] = r;
    touch(stored);
    return stored;
}

TaskRecord *TaskStore::find(const QString &id)
{
    const auto it = m_tasks.find(id);
    return it == m_tasks.end() ? nullptr : &*it;
}

const TaskRecord *TaskStore::find(const QString &id) const
{
    const auto it = m_tasks.constFind(id);
    return it == m_tasks.constEnd() ? nullptr : &*it;
}

void TaskStore::touch(TaskRecord &r)
{
    m_bySeq.erase(r.seq);
    r.seq = ++m_seq;
    m_bySeq[r.seq] = r.task.id;
    ++r.task.version;
    r.task.updatedAtMs = m_clock.wallNowMs();
    if (m_journal)
        journal(journalRecord(r));
    if (m_changed)
        m_changed();
}

const RemoteAttempt &TaskStore::beginAttempt(TaskRecord &r, AttemptReason reason,
                                             const QString &traceId)
{
    RemoteAttempt a;
    a.number = r.task.attempt + 1;
    a.startedAtMs = m_clock.wallNowMs();
    a.outcome = AttemptOutcome::Running;
    a.reason = reason;
    a.traceId = traceId;
    r.task.attempt = a.number;
    r.task.state = RemoteState::Running;
    r.task.cancelReason.clear();
    r.task.lastAttempt = a;
    r.attempts.append(a);
    touch(r);
    return r.attempts.last();
}

QByteArray TaskStore::cursorFor(std::uint64_t seq) const
{
    return (m_epoch + '.' + QByteArray::number(qulonglong(seq)))
        .toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

std::optional<std::uint64_t> TaskStore::decodeCursor(const QString &cursor, bool &expired) const
{
    expired = false;
    const QByteArray raw = QByteArray::fromBase64(cursor.toLatin1(), QByteArray::Base64UrlEncoding);
    const qsizetype dot = raw.indexOf('.');
    if (dot <= 0)
        return std::nullopt;
    bool ok = false;
    const std::uint64_t seq = raw.mid(dot + 1).toULongLong(&ok);
    if (!ok)
        return std::nullopt;
    if (raw.left(dot) != m_epoch || seq < m_horizon || seq > m_seq) {
        expired = true;
        return std::nullopt;
    }
    return seq;
}

QJsonArray TaskStore::changesSince(std::uint64_t since, int limit, std::uint64_t &last,
                                   bool &more) const
{
    QJsonArray tasks;
    auto it = m_bySeq.upper_bound(since);
    for (int n = 0; it != m_bySeq.end() && n < limit; ++it, ++n) {
        tasks.append(TaskJson::toJson(m_tasks.constFind(it->second)->task));
        last = it->first;
    }
    more = it != m_bySeq.end();
    return tasks;
}

QByteArray TaskStore::listTag() const
{
    return m_epoch + '-' + QByteArray::number(qulonglong(m_seq));
}

void TaskStore::expireCursors()
{
    if (m_changed)
        m_changed(); // subscribers below the new horizon get a resync
    m_horizon = m_seq + 1;
    // Every task moves past the horizon so a full snapshot still sees all of them.
    for (auto it = m_tasks.begin(); it != m_tasks.end(); ++it) {
        m_bySeq.erase(it->seq);
        it->seq = ++m_seq;
        m_bySeq[it->seq] = it.key();
    }
}

QJsonObject TaskStore::journalRecord(const TaskRecord &r) const
{
    QJsonArray attempts;
    for (const RemoteAttempt &a : r.attempts)
        attempts.append(TaskJson::toJson(a));
    return QJsonObject{{QStringLiteral("key"), QStringLiteral("task:") + r.task.id},
                       {QStringLiteral("task"), TaskJson::toJson(r.task)},
                       {QStringLiteral("attempts"), attempts},
                       {QStringLiteral("payload"), r.payload}};
}

void TaskStore::journal(QJsonObject record)
{
    if (!m_journal)
        return;
    m_pending.append(std::move(record));
    if (!m_hold)
        flush();
}

void TaskStore::release()
{
    m_hold = false;
    flush();
}

void TaskStore::flush()
{
    if (!m_journal || m_pending.isEmpty())
        return;
    const auto written = m_journal->append(m_pending);
    m_pending.clear();
    if (!written)
        qWarning("rebound-taskd: %s", qPrintable(written.error().message));
}

Result<int>
TaskStore::openJournal(const QString &path,
                       const std::function<void(const QString &, const QJsonObject &)> &other)
{
    TaskJournal::Contents contents;
    auto opened = TaskJournal::open(path, contents);
    if (!opened)
        return opened.error();
    int restored = 0;
    QList<QString> interrupted;
    for (const QJsonObject &rec : std::as_const(contents.records)) {
        const QString key = rec.value(QStringLiteral("key")).toString();
        if (!key.startsWith(QLatin1String("task:"))) {
            other(key, rec);
            continue;
        }
        auto task = TaskJson::taskFromJson(rec.value(QStringLiteral("task")).toObject(), key);
        if (!task)
            return Error{QStringLiteral("journal-corrupt"), task.error().message};
        TaskRecord r;
        r.task = *task;
        r.payload = rec.value(QStringLiteral("payload"));
        const QJsonArray attempts = rec.value(QStringLiteral("attempts")).toArray();
        for (qsizetype i = 0; i < attempts.size(); ++i) {
            auto a = TaskJson::attemptFromJson(attempts[i].toObject(),
                                               key + QStringLiteral(".attempts[%1]").arg(i));
            if (!a)
                return Error{QStringLiteral("journal-corrupt"), a.error().message};
            r.attempts.append(*a);
        }
        r.seq = ++m_seq;
        m_bySeq[r.seq] = r.task.id;
        if (!r.attempts.isEmpty() && r.attempts.last().outcome == AttemptOutcome::Running)
            interrupted.append(r.task.id);
        m_tasks.insert(r.task.id, r);
        ++restored;
    }
    m_journal = std::move(opened).value();
    // The worker of a running attempt died with the earlier process.
    for (const QString &id : std::as_const(interrupted)) {
        TaskRecord &r = m_tasks[id];
        RemoteAttempt &a = r.attempts.last();
        a.endedAtMs = std::max(a.startedAtMs, m_clock.wallNowMs());
        a.durationMs = *a.endedAtMs - a.startedAtMs;
        a.outcome = AttemptOutcome::Failed;
        a.httpStatus = 503;
        ProblemDetails p;
        p.type = QStringLiteral("urn:rebound:problem:interrupted");
        p.title = QStringLiteral("The service restarted during the attempt");
        p.status = 503;
        a.problem = p;
        r.task.state = RemoteState::Failed;
        r.task.lastAttempt = a;
        touch(r);
    }
    if (contents.skipped > 0)
        qWarning("rebound-taskd: %s: skipped %d unreadable journal line(s)", qPrintable(path),
                 contents.skipped);
    return restored;
}

} // namespace rebound::taskd
