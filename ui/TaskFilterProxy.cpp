#include "TaskFilterProxy.h"

#include "TaskTableModel.h"

namespace rebound {

TaskFilterProxy::TaskFilterProxy(QObject *parent) : QSortFilterProxyModel(parent)
{
    setSortRole(TaskTableModel::SortRole);
    // Re-sorting on every dataChanged costs O(rows) per signal: sort when the user asks.
    setDynamicSortFilter(false);
}

void TaskFilterProxy::setText(const QString &text)
{
    m_text = text.trimmed();
    m_matcher = QStringMatcher(m_text, Qt::CaseInsensitive);
    invalidateFilter();
}

void TaskFilterProxy::setState(std::optional<TaskState> state)
{
    m_state = state;
    invalidateFilter();
}

void TaskFilterProxy::setType(const QString &type)
{
    m_type = type;
    invalidateFilter();
}

void TaskFilterProxy::setRetryingOnly(bool on)
{
    m_retryingOnly = on;
    invalidateFilter();
}

void TaskFilterProxy::setExhaustedOnly(bool on)
{
    m_exhaustedOnly = on;
    invalidateFilter();
}

bool TaskFilterProxy::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    // No filter at all (the filter bar cleared): nothing to look at per row.
    if (m_text.isEmpty() && !m_state && m_type.isEmpty() && !m_retryingOnly &&
        !m_exhaustedOnly)
        return true;
    const QAbstractItemModel *m = sourceModel();
    const QModelIndex first = m->index(sourceRow, 0, sourceParent);
    // Only what a set filter needs is read: at 100 000 rows every QVariant counts.
    if (m_state || m_retryingOnly || m_exhaustedOnly) {
        const auto state = static_cast<TaskState>(first.data(TaskTableModel::StateRole).toInt());
        if (m_state && state != *m_state)
            return false;
        if (m_retryingOnly && state != TaskState::RetryScheduled && state != TaskState::Deferred)
            return false;
        if (m_exhaustedOnly && state != TaskState::Exhausted)
            return false;
    }
    if (!m_type.isEmpty() && first.data(TaskTableModel::TypeRole).toString() != m_type)
        return false;
    if (m_text.isEmpty())
        return true;
    if (const auto *model = qobject_cast<const TaskTableModel *>(m))
        return model->matchesText(sourceRow, m_matcher);
    for (int c : {TaskTableModel::Id, TaskTableModel::Type, TaskTableModel::LastError,
                  TaskTableModel::Endpoint}) {
        if (m->index(sourceRow, c, sourceParent)
                .data()
                .toString()
                .contains(m_text, Qt::CaseInsensitive))
            return true;
    }
    return false;
}

bool TaskFilterProxy::lessThan(const QModelIndex &left, const QModelIndex &right) const
{
    if (const auto *model = qobject_cast<const TaskTableModel *>(sourceModel()))
        return model->lessThan(left.row(), right.row(), left.column());
    return QSortFilterProxyModel::lessThan(left, right);
}

} // namespace rebound
