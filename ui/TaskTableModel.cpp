#include "TaskTableModel.h"

#include "Orchestrator.h"
#include "Rfc3339.h"

#include <QColor>
#include <QDateTime>
#include <QTimer>

#include <algorithm>

namespace rebound {

TaskTableModel::TaskTableModel(Orchestrator &orchestrator, const Clock &clock, QObject *parent)
    : QAbstractTableModel(parent), m_orchestrator(orchestrator), m_clock(clock),
      m_tick(new QTimer(this))
{
    connect(&m_orchestrator, &Orchestrator::tasksUpdated, this, &TaskTableModel::applyBatch);
    connect(&m_orchestrator, &Orchestrator::tasksAboutToBeRemoved, this,
            &TaskTableModel::removeTasks);
    connect(m_tick, &QTimer::timeout, this, &TaskTableModel::tick);
    m_tick->start(1000);
}

int TaskTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_keys.size());
}

int TaskTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

void TaskTableModel::applyBatch(const QStringList &keys)
{
    QStringList added;
    int first = INT_MAX, last = -1;
    for (const QString &k : keys) {
        const auto it = m_rowOf.constFind(k);
        if (it == m_rowOf.constEnd()) {
            if (!added.contains(k) &&
                m_orchestrator.task(k.section(u'\n', 0, 0), k.section(u'\n', 1)))
                added << k;
            continue;
        }
        first = std::min(first, *it);
        last = std::max(last, *it);
    }
    if (!added.isEmpty()) {
        const int start = static_cast<int>(m_keys.size());
        beginInsertRows({}, start, start + static_cast<int>(added.size()) - 1);
        for (const QString &k : added) {
            m_rowOf.insert(k, static_cast<int>(m_keys.size()));
            m_keys << k;
            m_rows << m_orchestrator.taskByKey(k);
        }
        endInsertRows();
    }
    if (last >= 0) {
        ++m_dataChangedSignals;
        Q_EMIT dataChanged(index(first, 0), index(last, ColumnCount - 1));
    }
}

void TaskTableModel::removeTasks(const QStringList &keys)
{
    QList<int> rows;
    for (const QString &k : keys) {
        if (const auto it = m_rowOf.constFind(k); it != m_rowOf.constEnd())
            rows << *it;
    }
    if (rows.isEmpty())
        return;
    std::sort(rows.begin(), rows.end(), std::greater<>());
    // From the bottom up, one removal per run of adjacent rows.
    for (qsizetype i = 0; i < rows.size();) {
        qsizetype j = i;
        while (j + 1 < rows.size() && rows[j + 1] == rows[j] - 1)
            ++j;
        const int first = rows[j], last = rows[i];
        beginRemoveRows({}, first, last);
        m_keys.remove(first, last - first + 1);
        m_rows.remove(first, last - first + 1);
        endRemoveRows();
        i = j + 1;
    }
    m_rowOf.clear();
    for (int r = 0; r < m_keys.size(); ++r)
        m_rowOf.insert(m_keys.at(r), r);
}

void TaskTableModel::tick()
{
    if (m_keys.isEmpty())
        return;
    // Only the countdown column moves with time: one signal for the whole column.
    ++m_dataChangedSignals;
    Q_EMIT dataChanged(index(0, NextRetry), index(static_cast<int>(m_keys.size()) - 1, NextRetry),
                       {Qt::DisplayRole});
}

QString TaskTableModel::stateLabel(TaskState state)
{
    switch (state) {
    case TaskState::Pending:
        return tr("pending");
    case TaskState::Running:
        return tr("running");
    case TaskState::Succeeded:
        return tr("succeeded");
    case TaskState::Failed:
        return tr("failed");
    case TaskState::TimedOut:
        return tr("timed out");
    case TaskState::RetryScheduled:
        return tr("retry scheduled");
    case TaskState::Deferred:
        return tr("deferred");
    case TaskState::Cancelled:
        return tr("cancelled");
    case TaskState::Exhausted:
        return tr("exhausted");
    }
    return {};
}

QStringList TaskTableModel::taskTypes() const
{
    QStringList types;
    for (const QString &k : m_keys) {
        if (const TrackedTask *t = m_orchestrator.task(k.section(u'\n', 0, 0), k.section(u'\n', 1));
            t && !types.contains(t->remote.type))
            types << t->remote.type;
    }
    types.sort();
    return types;
}

QVariant TaskTableModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_keys.size())
        return {};
    const QString &key = m_keys[index.row()];
    const QString endpoint = key.section(u'\n', 0, 0);
    const TrackedTask *t = m_orchestrator.task(endpoint, key.section(u'\n', 1));
    if (!t)
        return {};
    const RemoteTask &r = t->remote;
    switch (role) {
    case KeyRole:
        return key;
    case StateRole:
        return int(t->condition.state);
    case TypeRole:
        return r.type;
    case EndpointRole:
        return endpoint;
    case TaskIdRole:
        return r.id;
    default:
        break;
    }
    if (role == Qt::DisplayRole || role == SortRole || role == Qt::ToolTipRole) {
        switch (index.column()) {
        case Endpoint:
            return endpoint;
        case Id:
            return r.id;
        case Type:
            return r.type;
        case State:
            if (role == SortRole)
                return attentionRank(t->condition.state);
            if (role == Qt::ToolTipRole) {
                // The cause, in the engine's words: why it waits, why it stopped.
                if (t->condition.deferReason)
                    return tr("waiting: %1").arg(toText(*t->condition.deferReason));
                if (t->condition.stopReason)
                    return tr("retries stopped: %1").arg(toText(*t->condition.stopReason));
            }
            return stateLabel(t->condition.state);
        case Attempt: {
            if (role == SortRole)
                return r.attempt;
            return tr("%1 / %2").arg(r.attempt).arg(m_orchestrator.maxAttemptsFor(r.type));
        }
        case NextRetry: {
            const auto nextRetry = m_orchestrator.nextRetryAt(endpoint, r.id);
            if (!nextRetry)
                return role == SortRole ? QVariant(qint64(std::numeric_limits<qint64>::max()))
                                        : QVariant();
            const auto ms = std::max<std::int64_t>(0, toMs(*nextRetry - m_clock.steadyNow()));
            if (role == SortRole)
                return qint64(ms);
            return ms >= 1000 ? tr("in %1 s").arg((ms + 999) / 1000) : tr("now");
        }
        case LastError: {
            if (!r.lastAttempt || r.lastAttempt->outcome == AttemptOutcome::Succeeded ||
                r.lastAttempt->outcome == AttemptOutcome::Running)
                return t->lastError.isEmpty() ? QVariant() : QVariant(t->lastError);
            const RemoteAttempt &a = *r.lastAttempt;
            QString s = a.outcome == AttemptOutcome::Timeout ? tr("timeout") : tr("failed");
            if (a.httpStatus)
                s += QStringLiteral(" · HTTP %1").arg(*a.httpStatus);
            if (a.problem && !a.problem->title.isEmpty())
                s += QStringLiteral(" · ") + a.problem->title;
            if (role == Qt::ToolTipRole && a.problem)
                s += u'\n' + a.problem->type;
            return s;
        }
        case Breaker:
            return toText(m_orchestrator.breakerHealth(endpoint, r.type));
        case Updated:
            if (role == SortRole)
                return qint64(r.updatedAtMs);
            return QDateTime::fromMSecsSinceEpoch(r.updatedAtMs)
                .toString(QStringLiteral("HH:mm:ss"));
        default:
            break;
        }
    }
    if (role == Qt::TextAlignmentRole && (index.column() == Attempt || index.column() == NextRetry))
        return int(Qt::AlignRight | Qt::AlignVCenter);
    return {};
}

bool TaskTableModel::lessThan(int leftRow, int rightRow, int column) const
{
    const TrackedTask *a = m_rows.value(leftRow);
    const TrackedTask *b = m_rows.value(rightRow);
    if (!a || !b)
        return a < b;
    switch (column) {
    case Endpoint:
        return a->endpoint < b->endpoint;
    case Id:
        return a->remote.id < b->remote.id;
    case Type:
        return a->remote.type < b->remote.type;
    case State: {
        // Needs attention first; newest first within a state.
        const int x = attentionRank(a->condition.state);
        const int y = attentionRank(b->condition.state);
        return x != y ? x < y : a->remote.updatedAtMs > b->remote.updatedAtMs;
    }
    case Attempt:
        return a->remote.attempt < b->remote.attempt;
    case NextRetry: {
        const auto x = m_orchestrator.nextRetryAt(a->endpoint, a->remote.id);
        const auto y = m_orchestrator.nextRetryAt(b->endpoint, b->remote.id);
        return x && (!y || *x < *y);
    }
    case Updated:
        return a->remote.updatedAtMs < b->remote.updatedAtMs;
    default:
        return index(leftRow, column).data(SortRole).toString() <
               index(rightRow, column).data(SortRole).toString();
    }
}

bool TaskTableModel::matchesText(int row, const QStringMatcher &matcher) const
{
    const QString text = matcher.pattern();
    const TrackedTask *t = m_rows.value(row);
    if (!t)
        return false;
    if (matcher.indexIn(t->remote.id) >= 0 || matcher.indexIn(t->remote.type) >= 0 ||
        matcher.indexIn(t->endpoint) >= 0)
        return true;
    // The error column's parts, without formatting the whole cell for every row.
    if (const auto &a = t->remote.lastAttempt; a && a->outcome != AttemptOutcome::Succeeded) {
        if (a->problem && (a->problem->title.contains(text, Qt::CaseInsensitive) ||
                           a->problem->type.contains(text, Qt::CaseInsensitive)))
            return true;
        if (a->httpStatus && QString::number(*a->httpStatus).contains(text))
            return true;
        if (a->outcome == AttemptOutcome::Timeout &&
            QStringLiteral("timeout").contains(text, Qt::CaseInsensitive))
            return true;
    }
    return !t->lastError.isEmpty() && t->lastError.contains(text, Qt::CaseInsensitive);
}

QVariant TaskTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Endpoint:
        return tr("Endpoint");
    case Id:
        return tr("Task");
    case Type:
        return tr("Type");
    case State:
        return tr("State");
    case Attempt:
        return tr("Attempt");
    case NextRetry:
        return tr("Next retry");
    case LastError:
        return tr("Last error");
    case Breaker:
        return tr("Breaker");
    case Updated:
        return tr("Updated");
    default:
        return {};
    }
}

} // namespace rebound
