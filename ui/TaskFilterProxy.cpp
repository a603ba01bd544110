#include "TaskFilterProxy.h"

#include "RowOrder.h"
#include "TaskTableModel.h"

#include <QElapsedTimer>

#include <algorithm>
#include <numeric>
#include <thread>

namespace rebound {

TaskFilterProxy::TaskFilterProxy(QObject *parent) : QAbstractProxyModel(parent)
{
    m_settle.setSingleShot(true);
    connect(&m_settle, &QTimer::timeout, this, &TaskFilterProxy::settle);
}

void TaskFilterProxy::setSourceModel(QAbstractItemModel *source)
{
    beginResetModel();
    for (const auto &c : std::as_const(m_connections))
        disconnect(c);
    m_connections.clear();
    QAbstractProxyModel::setSourceModel(source);
    m_model = qobject_cast<const TaskTableModel *>(source);
    Q_ASSERT_X(!source || m_model, "TaskFilterProxy", "the source must be a TaskTableModel");
    if (m_model) {
        const auto resetBegins = [this] { beginResetModel(); };
        const auto resetEnds = [this] {
            rebuild();
            endResetModel();
        };
        m_connections = {
            connect(m_model, &TaskTableModel::rowsChanged, this, &TaskFilterProxy::onRowsChanged),
            connect(m_model, &QAbstractItemModel::dataChanged, this,
                    &TaskFilterProxy::onDataChanged),
            connect(
                m_model, &QAbstractItemModel::rowsInserted, this,
                [this](const QModelIndex &, int first, int last) { onRowsInserted(first, last); }),
            // Rows leave only when an endpoint is removed: rare, so a reset is fine.
            connect(m_model, &QAbstractItemModel::rowsAboutToBeRemoved, this, resetBegins),
            connect(m_model, &QAbstractItemModel::rowsRemoved, this, resetEnds),
            connect(m_model, &QAbstractItemModel::modelAboutToBeReset, this, resetBegins),
            connect(m_model, &QAbstractItemModel::modelReset, this, resetEnds),
            connect(m_model, &QAbstractItemModel::headerDataChanged, this,
                    &QAbstractItemModel::headerDataChanged),
        };
    }
    rebuild();
    endResetModel();
}

void TaskFilterProxy::setText(const QString &text)
{
    place();
    if (text.trimmed() == m_text)
        return;
    m_text = text.trimmed();
    refilter();
}

void TaskFilterProxy::setStates(StateMask states)
{
    place();
    if (states == m_states)
        return;
    m_states = states;
    refilter();
}

void TaskFilterProxy::setType(const QString &type)
{
    place();
    if (type == m_type)
        return;
    m_type = type;
    refilter();
}

bool TaskFilterProxy::accepts(int row) const
{
    if (m_states && !(m_states & bit(m_model->stateAt(row))))
        return false;
    if (!m_type.isEmpty() && m_model->typeIndexAt(row) != m_typeIndex)
        return false;
    if (m_since && m_model->updatedAtMs(row) < *m_since)
        return false;
    return m_text.isEmpty() || m_model->matchesText(row, m_query);
}

void TaskFilterProxy::prepareFilter()
{
    if (!m_model)
        return;
    m_query = m_model->prepareText(m_text);
    m_typeIndex = m_type.isEmpty() ? -1 : m_model->typeIndex(m_type);
    if (!m_type.isEmpty() && m_typeIndex < 0)
        m_typeIndex = -2; // a type no row has: matches nothing
}

bool TaskFilterProxy::before(int a, int b) const
{
    if (m_sortColumn >= 0 && a != b) {
        const bool ascending = m_sortOrder == Qt::AscendingOrder;
        if (m_model->lessThan(a, b, m_sortColumn))
            return ascending;
        if (m_model->lessThan(b, a, m_sortColumn))
            return !ascending;
    }
    return a < b;
}

bool TaskFilterProxy::inPlace(int row) const
{
    if (m_sortColumn < 0)
        return true;
    const std::size_t p = std::size_t(m_orderPos[row]);
    return (p == 0 || before(m_order[p - 1], row)) &&
           (p + 1 == m_order.size() || before(row, m_order[p + 1]));
}

std::vector<int> TaskFilterProxy::acceptedInOrder()
{
    // The filter reads each task once, in source order (the order the tasks lie in memory),
    // then the sorted order is walked for the accepted ones.
    const std::size_t n = m_order.size();
    prepareFilter();
    const auto mark = [this](std::size_t from, std::size_t to) {
        for (std::size_t r = from; r < to; ++r)
            m_mark[r] = accepts(int(r)) ? 1 : 0;
    };
    if (n < 50'000) {
        mark(0, n);
    } else {
        // accepts() only reads (the model, the prepared query): the second core takes half.
        std::thread other(mark, n / 2, n);
        mark(0, n / 2);
        other.join();
    }
    std::vector<int> out;
    for (int r : m_order)
        if (m_mark[r])
            out.push_back(r);
    std::fill(m_mark.begin(), m_mark.end(), 0);
    return out;
}

void TaskFilterProxy::sortAll()
{
    if (m_sortColumn < 0 || !m_model) {
        std::sort(m_order.begin(), m_order.end());
        return;
    }
    // Sort keys read once per row, then compared without touching the tasks: a million rows by
    // id in a fraction of the time a comparison through the model takes.
    auto [keys, exact] = m_model->sortKeys(m_sortColumn);
    if (keys.empty()) {
        std::sort(m_order.begin(), m_order.end(), [this](int a, int b) { return before(a, b); });
        return;
    }
    sortByKeys(keys, exact);
    for (std::size_t i = 0; i < keys.size(); ++i)
        m_order[i] = keys[i].row;
}

void TaskFilterProxy::sortByKeys(std::vector<TaskTableModel::SortKey> &keys, bool exact) const
{
    const bool ascending = m_sortOrder == Qt::AscendingOrder;
    std::sort(keys.begin(), keys.end(),
              [this, ascending, exact](const TaskTableModel::SortKey &a,
                                       const TaskTableModel::SortKey &b) {
                  if (a.hi != b.hi || a.lo != b.lo)
                      return ascending ? std::tie(a.hi, a.lo) < std::tie(b.hi, b.lo)
                                       : std::tie(b.hi, b.lo) < std::tie(a.hi, a.lo);
                  // Equal keys: equal rows go by row; else the full comparison decides.
                  return exact ? a.row < b.row : before(a.row, b.row);
              });
}

void TaskFilterProxy::sortRows(std::vector<int> &rows) const
{
    // Exact keys read once per row: a batch of thousands of new rows sorts without chasing
    // two tasks per comparison.
    if (m_sortColumn >= 0 && !rows.empty() && m_model->exactSortKey(rows.front(), m_sortColumn)) {
        std::vector<TaskTableModel::SortKey> keys;
        keys.reserve(rows.size());
        for (int r : rows)
            keys.push_back(*m_model->exactSortKey(r, m_sortColumn));
        sortByKeys(keys, true);
        for (std::size_t i = 0; i < keys.size(); ++i)
            rows[i] = keys[i].row;
        return;
    }
    std::sort(rows.begin(), rows.end(), [this](int a, int b) { return before(a, b); });
}

void TaskFilterProxy::setOrder(std::vector<int> order)
{
    const auto [lo, hi] = RowOrder::differing(m_order, order);
    m_order = std::move(order);
    for (std::size_t i = lo; i < hi; ++i)
        m_orderPos[m_order[i]] = int(i);
}

void TaskFilterProxy::rebuild()
{
    m_settle.stop();
    m_pendingRows.clear();
    m_unplaced = 0;
    if (m_heldReported != 0) // every row is placed afresh
        Q_EMIT heldChangesChanged(m_heldReported = 0);
    const int n = m_model ? m_model->rowCount() : 0;
    m_pending.assign(n, 0);
    m_order.resize(n);
    std::iota(m_order.begin(), m_order.end(), 0);
    sortAll();
    m_orderPos.resize(n);
    for (int i = 0; i < n; ++i)
        m_orderPos[m_order[i]] = i;
    m_mark.assign(n, 0);
    m_proxyRowOf.resize(n);
    m_visible = acceptedInOrder();
    std::fill(m_proxyRowOf.begin(), m_proxyRowOf.end(), -1);
    for (std::size_t i = 0; i < m_visible.size(); ++i)
        m_proxyRowOf[m_visible[i]] = int(i);
}

void TaskFilterProxy::refilter()
{
    if (!m_model)
        return;
    showRows(acceptedInOrder());
}

void TaskFilterProxy::sort(int column, Qt::SortOrder order)
{
    if (column >= TaskTableModel::ColumnCount)
        return;
    place();
    m_sortColumn = column;
    m_sortOrder = order;
    if (!m_model)
        return;
    sortAll();
    for (std::size_t i = 0; i < m_order.size(); ++i)
        m_orderPos[m_order[i]] = int(i);
    std::vector<int> next;
    next.reserve(m_visible.size());
    for (int r : m_order)
        if (m_proxyRowOf[r] >= 0)
            next.push_back(r);
    relayout(std::move(next));
}

void TaskFilterProxy::relayout(std::vector<int> next)
{
    if (next == m_visible)
        return;
    Q_EMIT layoutAboutToBeChanged({}, QAbstractItemModel::VerticalSortHint);
    // Asked after the signal: listeners make their persistent indexes while they hear it.
    const QModelIndexList from = persistentIndexList();
    const auto [lo, hi] = RowOrder::differing(m_visible, next);
    const std::vector<int> old = std::exchange(m_visible, std::move(next));
    for (std::size_t i = lo; i < hi; ++i)
        m_proxyRowOf[m_visible[i]] = int(i);
    QModelIndexList to;
    to.reserve(from.size());
    for (const QModelIndex &i : from) {
        const int row = i.row() < int(old.size()) ? m_proxyRowOf[old[i.row()]] : -1;
        to << (row >= 0 ? createIndex(row, i.column()) : QModelIndex());
    }
    changePersistentIndexList(from, to);
    Q_EMIT layoutChanged({}, QAbstractItemModel::VerticalSortHint);
}

void TaskFilterProxy::showRows(std::vector<int> next)
{
    for (int r : next)
        m_mark[r] = 1;
    std::vector<int> staying, removed, added;
    staying.reserve(m_visible.size());
    for (int r : m_visible)
        (m_mark[r] ? staying : removed).push_back(r);
    for (int r : next) {
        m_mark[r] = 0;
        if (m_proxyRowOf[r] < 0)
            added.push_back(r);
    }
    if (!removed.empty()) {
        // Those that leave go to the end first, then are removed in one range.
        std::vector<int> leaving = staying;
        leaving.insert(leaving.end(), removed.begin(), removed.end());
        relayout(std::move(leaving));
        beginRemoveRows({}, int(staying.size()), int(m_visible.size()) - 1);
        m_visible.resize(staying.size());
        for (int r : removed)
            m_proxyRowOf[r] = -1;
        endRemoveRows();
    }
    if (!added.empty()) {
        // Those that arrive are appended in one range, then moved into place.
        const int first = int(m_visible.size());
        beginInsertRows({}, first, first + int(added.size()) - 1);
        for (int r : added) {
            m_proxyRowOf[r] = int(m_visible.size());
            m_visible.push_back(r);
        }
        endInsertRows();
    }
    relayout(std::move(next));
}

void TaskFilterProxy::onRowsChanged(const QList<int> &rows)
{
    m_batchSignalled = true;
    int first = INT_MAX, last = -1;
    for (int r : rows) {
        if (!m_pending[r]) {
            m_pending[r] = 1;
            m_pendingRows.push_back(r);
        }
        if (const int p = m_proxyRowOf[r]; p >= 0) {
            first = std::min(first, p);
            last = std::max(last, p);
        }
    }
    // What a row shows changed now; where it belongs is settled with the other pending rows.
    if (last >= 0)
        Q_EMIT dataChanged(index(first, 0), index(last, TaskTableModel::ColumnCount - 1));
    scheduleSettle();
}

void TaskFilterProxy::onRowsInserted(int first, int last)
{
    if (first != int(m_order.size()) + m_unplaced) {
        // Not an append (the task table only appends): start over.
        beginResetModel();
        rebuild();
        endResetModel();
        return;
    }
    const std::size_t n = std::size_t(last) + 1;
    m_proxyRowOf.resize(n, -1);
    m_orderPos.resize(n, -1); // -1: not in m_order yet
    m_mark.resize(n, 0);
    m_pending.resize(n, 0);
    for (int r = first; r <= last; ++r) {
        m_pending[r] = 1;
        m_pendingRows.push_back(r);
    }
    m_unplaced += last - first + 1;
    scheduleSettle();
}

void TaskFilterProxy::scheduleSettle()
{
    if (m_settle.isActive())
        return;
    // At most a tenth of the UI thread: after a settle that took 8 ms, the next waits 80 ms.
    m_settle.start(std::min(200, int(m_lastSettleMs * 10)));
}

void TaskFilterProxy::settle()
{
    if (m_held) {
        m_settle.stop();
        if (heldChanges() != m_heldReported)
            Q_EMIT heldChangesChanged(m_heldReported = heldChanges());
        return;
    }
    place();
}

void TaskFilterProxy::place()
{
    m_settle.stop();
    if (m_heldReported != 0)
        Q_EMIT heldChangesChanged(m_heldReported = 0);
    if (m_pendingRows.empty())
        return;
    QElapsedTimer cost;
    cost.start();
    prepareFilter(); // new rows may have brought new types or endpoints
    std::vector<int> rows = std::exchange(m_pendingRows, {});
    for (int r : rows)
        m_pending[r] = 0;
    const bool unplaced = m_unplaced > 0;
    m_unplaced = 0;
    bool moved = unplaced, shown = false;
    for (int r : rows) {
        shown = shown || accepts(r) != (m_proxyRowOf[r] >= 0);
        moved = moved || (m_orderPos[r] >= 0 && !inPlace(r));
    }
    if (moved || shown) {
        const auto order = [this](int a, int b) { return before(a, b); };
        sortRows(rows);
        for (int r : rows)
            m_mark[r] = 1;
        if (moved) {
            std::vector<int> kept;
            kept.reserve(m_order.size() + rows.size());
            for (int r : m_order)
                if (!m_mark[r])
                    kept.push_back(r);
            std::vector<int> merged = RowOrder::merge(kept, rows, order);
            m_order.resize(merged.size(), -1); // same length for setOrder()
            setOrder(std::move(merged));
        }
        std::vector<int> kept, accepted;
        kept.reserve(m_visible.size());
        for (int r : m_visible)
            if (!m_mark[r])
                kept.push_back(r);
        for (int r : rows) {
            m_mark[r] = 0;
            if (accepts(r))
                accepted.push_back(r);
        }
        std::vector<int> next = RowOrder::merge(kept, accepted, order);
        if (shown || next.size() != m_visible.size())
            showRows(std::move(next));
        else
            relayout(std::move(next));
    }
    m_lastSettleMs = double(cost.nsecsElapsed()) / 1e6;
}

void TaskFilterProxy::onDataChanged(const QModelIndex &topLeft, const QModelIndex &bottomRight,
                                    const QList<int> &roles)
{
    if (std::exchange(m_batchSignalled, false))
        return; // onRowsChanged() re-evaluated those rows and told the views
    // The whole column (a countdown tick, a paused type): the order and the filter do not read
    // what changed, so the views only repaint.
    if (!m_visible.empty())
        Q_EMIT dataChanged(index(0, topLeft.column()),
                           index(int(m_visible.size()) - 1, bottomRight.column()), roles);
}

QModelIndex TaskFilterProxy::mapToSource(const QModelIndex &proxyIndex) const
{
    if (!proxyIndex.isValid() || !m_model || proxyIndex.row() >= int(m_visible.size()))
        return {};
    return m_model->index(m_visible[proxyIndex.row()], proxyIndex.column());
}

QModelIndex TaskFilterProxy::mapFromSource(const QModelIndex &sourceIndex) const
{
    if (!sourceIndex.isValid() || sourceIndex.row() >= int(m_proxyRowOf.size()))
        return {};
    const int row = m_proxyRowOf[sourceIndex.row()];
    return row < 0 ? QModelIndex() : createIndex(row, sourceIndex.column());
}

QModelIndex TaskFilterProxy::index(int row, int column, const QModelIndex &parent) const
{
    if (parent.isValid() || row < 0 || row >= int(m_visible.size()) || column < 0 ||
        column >= columnCount())
        return {};
    return createIndex(row, column);
}

QModelIndex TaskFilterProxy::parent(const QModelIndex &) const
{
    return {};
}

int TaskFilterProxy::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_visible.size());
}

int TaskFilterProxy::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() || !m_model ? 0 : TaskTableModel::ColumnCount;
}

bool TaskFilterProxy::hasChildren(const QModelIndex &parent) const
{
    return !parent.isValid() && !m_visible.empty();
}

QVariant TaskFilterProxy::headerData(int section, Qt::Orientation orientation, int role) const
{
    // Columns are the source's (even with no row to map through); rows are numbered.
    if (orientation == Qt::Horizontal)
        return m_model ? m_model->headerData(section, orientation, role) : QVariant();
    return role == Qt::DisplayRole ? QVariant(section + 1) : QVariant();
}

} // namespace rebound
