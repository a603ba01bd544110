#pragma once

#include "TaskRowText.h"
#include "decision/RetryDecision.h"
#include "engine/TaskRow.h"
#include "engine/TaskState.h"
#include "time/Clock.h"

#include <QAbstractTableModel>
#include <QHash>
#include <QIcon>
#include <QStringList>
#include <QStringMatcher>

#include <array>
#include <deque>
#include <vector>

class QTimer;

namespace rebound {

class EngineView;

/// How many tasks are in each state.
using StateCounts = std::array<int, TaskStateCount>;

/// The task table: one row per watched task, the engine's TaskRow values (the model owns no
/// business logic). Updates arrive as batches (EngineView::rowsUpdated) and become one row
/// insertion for the new tasks and one spanning dataChanged for the rest — never a reset per
/// poll; rowsChanged() names the rows of a batch, so a proxy re-evaluates only those. The model
/// also keeps the count of tasks per state (and per type and state) current with every batch.
/// A 1 s tick refreshes the "next attempt" column only.
class TaskTableModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TaskTableModel)

public:
    /// The column order is the table's default; the error gets the remaining room.
    enum Column
    {
        Id,
        Type,
        State,
        Attempt,
        NextRetry,
        Breaker,
        Updated,
        Owner, ///< in a fleet: the member deciding the task
        Endpoint,
        LastError,
        ColumnCount
    };
    enum Role
    {
        SortRole = Qt::UserRole + 1, ///< raw value for sorting
        KeyRole,                     ///< orchestrator task key
        StateRole,                   ///< the engine's TaskState, as an int
        TypeRole,
        EndpointRole,
        TaskIdRole,
        EndingRole, ///< the StopReason of an ended task, as an int (-1: none)
    };

    TaskTableModel(EngineView &view, const Clock &clock, QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    /// Applies one batch of changed tasks (public for tests and benchmarks).
    void applyBatch(const QList<rebound::TaskRow> &tasks);
    /// Drops the rows of these tasks (their endpoint is being removed), in contiguous ranges.
    void removeTasks(const QStringList &keys);
    /// Every row may read differently (e.g. a type was paused): one spanning dataChanged.
    void refreshAll();
    int rowOf(const QString &key) const;
    QStringList taskTypes() const;
    /// Tasks per state: of every type (empty `type`) or of one type.
    StateCounts stateCounts(const QString &type = {}) const;

    /// A row's place in a sort, as numbers: rows compare by (hi, lo), and rows with equal keys
    /// by lessThan(). Strings contribute the 8 UTF-16 units after the prefix all rows share.
    struct SortKey
    {
        quint64 hi = 0, lo = 0;
        int row = 0;
    };
    struct SortKeys
    {
        std::vector<SortKey> keys; ///< empty when the column has none (use lessThan())
        bool exact = false;        ///< equal keys mean lessThan() finds the rows equal
    };
    /// The keys of every row for `column`.
    SortKeys sortKeys(int column) const;
    /// One row's key where the column's keys are exact (see SortKeys), without looking at the
    /// other rows; nothing for the other columns.
    std::optional<SortKey> exactSortKey(int row, int column) const;

    // Fast paths for the proxy (no QVariant per call: they run millions of times on a sort).
    bool lessThan(int leftRow, int rightRow, int column) const;
    /// A text filter made ready for matchesText(): which types and endpoints it matches,
    /// found once instead of once per row (a million rows share a few dozen of each).
    /// `id:tsk-27` matches that id only; `"text"` matches an id, type, endpoint or owner equal
    /// to it; anything else is a case-insensitive substring of any column.
    struct TextQuery
    {
        QStringMatcher matcher;
        std::vector<char> typeMatches, endpointMatches;
        QString exact; ///< null: a substring query
        bool idOnly = false;
    };
    TextQuery prepareText(const QString &text) const;
    bool matchesText(int row, const TextQuery &query) const;
    /// The index of a type among the types seen (-1: none such); typeIndexAt() compares to it.
    int typeIndex(const QString &type) const { return m_typeIndex.value(type, -1); }
    int typeIndexAt(int row) const { return m_typeOf[row]; }
    TaskState stateAt(int row) const { return static_cast<TaskState>(m_states[row]); }
    /// When the service last changed the row's task (wall ms).
    std::int64_t updatedAtMs(int row) const { return m_rows[std::size_t(row)].remote.updatedAtMs; }
    const Clock &clock() const { return m_clock; }
    /// Counters for tests and the update benchmark.
    int dataChangedSignals() const { return m_dataChangedSignals; }

Q_SIGNALS:
    /// The rows of one batch (ascending), emitted before the batch's dataChanged.
    void rowsChanged(const QList<int> &rows);
    /// stateCounts() moved.
    void countsChanged();

private:
    void tick();
    void count(int row, int delta);

    EngineView &m_view;
    const Clock &m_clock;
    TaskRowText m_text;
    /// The latest value of each task, in first-sight order (a deque: growing never copies
    /// the rows already held).
    std::deque<TaskRow> m_rows;
    /// The state each row was counted in (the counts follow it batch by batch).
    std::vector<qint8> m_states;
    // Types and endpoints by number: a row's filter looks at each distinct one once.
    std::vector<int> m_typeOf, m_endpointOf;
    QStringList m_types, m_endpoints;
    QHash<QString, int> m_typeIndex, m_endpointIndex;
    /// A task's row by its serial: no hashing per look-up.
    std::vector<int> m_rowOf; ///< by TaskRow::serial (-1: no row)
    int rowOfSerial(int serial) const;
    StateCounts m_counts{};
    std::vector<StateCounts> m_typeCounts; ///< by type index
    QIcon m_pausedIcon;
    QTimer *m_tick;
    int m_dataChangedSignals = 0;
};

} // namespace rebound
