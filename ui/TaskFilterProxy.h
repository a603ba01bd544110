#pragma once

#include "TaskTableModel.h"
#include "engine/TaskState.h"

#include <QAbstractProxyModel>
#include <QStringMatcher>
#include <QTimer>

#include <optional>
#include <vector>

namespace rebound {

/// The filter bar's logic over the task table: free text (id, type, endpoint, error), a set of
/// states and a type, sorted by any column — and both follow every change of every row.
///
/// A QSortFilterProxyModel re-sorting dynamically costs O(rows) memory moves per changed row and
/// re-sorts the whole view on a re-filter; at a million rows that is seconds. This proxy keeps
/// every source row in sort order (m_order) and the accepted ones (m_visible) as a subsequence of
/// it, so a re-filter is one pass over m_order, a sort is one sort, and a batch of changed rows
/// costs one merge: the changed rows are taken out, sorted, and merged back (O(rows + k log k)).
/// Changed and new rows are placed together a moment later (settle()), so a million-row table
/// does one merge per moment, not one per batch. Views hear exact signals: rows that leave are
/// first moved to the end by a layout change and removed there, rows that arrive are appended and
/// moved into place by a layout change, so selections and persistent indexes follow their rows.
class TaskFilterProxy final : public QAbstractProxyModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TaskFilterProxy)

public:
    using StateMask = quint32; ///< bit i: TaskState(i); 0 means any state
    static constexpr StateMask bit(TaskState s) { return StateMask(1) << int(s); }

    explicit TaskFilterProxy(QObject *parent = nullptr);

    /// Must be a TaskTableModel (its fast paths and change batches are what make this fast).
    void setSourceModel(QAbstractItemModel *source) override;

    void setText(const QString &text);
    void setStates(StateMask states);
    void setType(const QString &type); ///< empty: any
    /// Only tasks the service changed at or after `wallMs` (nothing: any time).
    void setUpdatedSince(std::optional<std::int64_t> wallMs)
    {
        place();
        m_since = wallMs;
        refilter();
    }
    StateMask states() const { return m_states; }
    QString type() const { return m_type; }
    int sortColumn() const { return m_sortColumn; }
    Qt::SortOrder sortOrder() const { return m_sortOrder; }

    /// Places the rows that arrived or changed since the last settle (it runs by itself soon
    /// after they do; public for tests and benchmarks). Nothing while held.
    void settle();
    /// Holds the rows where they are — for an operator aiming at a row, or reading a paused
    /// view: what a row shows still changes, but no row moves, arrives or leaves until the hold
    /// ends or applyHeld(). heldChanges() counts the rows waiting. A sort or filter the
    /// operator asks for still applies at once.
    void setHeld(bool held)
    {
        if (std::exchange(m_held, held) && !held)
            place();
    }
    bool isHeld() const { return m_held; }
    /// Places what is held now, and goes on holding.
    void applyHeld() { place(); }
    int heldChanges() const { return int(m_pendingRows.size()); }

    void sort(int column, Qt::SortOrder order = Qt::AscendingOrder) override;
    QModelIndex mapToSource(const QModelIndex &proxyIndex) const override;
    QModelIndex mapFromSource(const QModelIndex &sourceIndex) const override;
    QModelIndex index(int row, int column, const QModelIndex &parent = {}) const override;
    QModelIndex parent(const QModelIndex &child) const override;
    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    bool hasChildren(const QModelIndex &parent = {}) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

Q_SIGNALS:
    /// heldChanges() moved while held (0 once placed).
    void heldChangesChanged(int count);

private:
    /// settle() whether held or not.
    void place();
    bool accepts(int sourceRow) const;
    /// Makes the set filters ready for accepts() (call after a filter or the rows change).
    void prepareFilter();
    /// Sorts `rows` by the current order (exact keys where the column has them).
    void sortRows(std::vector<int> &rows) const;
    void sortByKeys(std::vector<TaskTableModel::SortKey> &keys, bool exact) const;
    bool before(int a, int b) const; ///< the sort order, ties by source row (a total order)
    bool inPlace(int sourceRow) const;
    void rebuild();
    void refilter();
    void sortAll(); ///< m_order by the sort column, from scratch
    /// Takes `order` as m_order and renumbers m_orderPos where they differ.
    void setOrder(std::vector<int> order);
    std::vector<int> acceptedInOrder();
    /// Makes `next` the visible rows with the signals views need (see the class comment).
    void showRows(std::vector<int> next);
    /// A layout change to `next`, a permutation of the visible rows.
    void relayout(std::vector<int> next);
    void onRowsChanged(const QList<int> &rows);
    void scheduleSettle();
    void onRowsInserted(int first, int last);
    void onDataChanged(const QModelIndex &topLeft, const QModelIndex &bottomRight,
                       const QList<int> &roles);

    const TaskTableModel *m_model = nullptr;
    QList<QMetaObject::Connection> m_connections;
    QString m_text;
    /// The text filter, prepared against the model's types and endpoints when applied.
    TaskTableModel::TextQuery m_query;
    StateMask m_states = 0;
    QString m_type;
    int m_typeIndex = -1; ///< m_type as the model numbers it
    std::optional<std::int64_t> m_since;
    int m_sortColumn = -1;
    Qt::SortOrder m_sortOrder = Qt::AscendingOrder;
    bool m_batchSignalled = false; ///< the next source dataChanged belongs to a rowsChanged batch

    std::vector<int> m_order;      ///< every source row, in sort order
    std::vector<int> m_orderPos;   ///< source row -> its place in m_order
    std::vector<int> m_visible;    ///< proxy row -> source row (accepted rows of m_order)
    std::vector<int> m_proxyRowOf; ///< source row -> proxy row, -1 when filtered out
    std::vector<char> m_mark;      ///< scratch, one per source row
    /// Rows that arrived or changed and are not yet placed. Every change is placed within a
    /// moment, but not one merge per batch: settling waits ten times as long as the last one
    /// took, so at a million rows it costs at most a tenth of the UI thread.
    std::vector<int> m_pendingRows;
    std::vector<char> m_pending; ///< per source row: in m_pendingRows
    int m_unplaced = 0;          ///< appended rows not in m_order yet (the last ones)
    QTimer m_settle;
    double m_lastSettleMs = 0;
    bool m_held = false;
    int m_heldReported = 0; ///< the count heldChangesChanged said last
};

} // namespace rebound
