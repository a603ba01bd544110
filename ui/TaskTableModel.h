#pragma once

#include "Clock.h"
#include "TaskState.h"

#include <QAbstractTableModel>
#include <QHash>
#include <QStringList>
#include <QStringMatcher>

class QTimer;

namespace rebound {

class Orchestrator;
struct TrackedTask;

/// The task table: one row per watched task, over the orchestrator's state (the model owns no
/// business logic). Updates arrive as batches (Orchestrator::tasksUpdated) and become one row
/// insertion for the new tasks and one spanning dataChanged for the rest — never a reset per
/// poll. A 1 s tick refreshes the "next retry" countdown column only.
class TaskTableModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TaskTableModel)

public:
    enum Column
    {
        Endpoint,
        Id,
        Type,
        State,
        Attempt,
        NextRetry,
        LastError,
        Breaker,
        Updated,
        ColumnCount
    };
    enum Role
    {
        SortRole = Qt::UserRole + 1, ///< raw value for sorting
        KeyRole,                     ///< orchestrator task key
        StateRole, ///< the engine's TaskState, as an int
        TypeRole,
        EndpointRole,
        TaskIdRole,
    };

    TaskTableModel(Orchestrator &orchestrator, const Clock &clock, QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    /// Applies one batch of changed task keys (public for tests and benchmarks).
    void applyBatch(const QStringList &keys);
    /// Drops the rows of these tasks (their endpoint is being removed), in contiguous ranges.
    void removeTasks(const QStringList &keys);
    QString keyAt(int row) const { return m_keys.value(row); }
    int rowOf(const QString &key) const { return m_rowOf.value(key, -1); }
    /// The operator's name of a state (translated); the engine's key is toText(TaskState).
    static QString stateLabel(TaskState state);
    QStringList taskTypes() const;
    /// Fast paths for the proxy (no QVariant per call: they run millions of times on a sort).
    bool lessThan(int leftRow, int rightRow, int column) const;
    bool matchesText(int row, const QStringMatcher &text) const;
    /// Counters for tests and the update benchmark.
    int dataChangedSignals() const { return m_dataChangedSignals; }

private:
    void tick();

    Orchestrator &m_orchestrator;
    const Clock &m_clock;
    QStringList m_keys;
    /// Stable while the task is in the orchestrator, which says before it drops one.
    QList<const TrackedTask *> m_rows;
    QHash<QString, int> m_rowOf;
    QTimer *m_tick;
    int m_dataChangedSignals = 0;
};

} // namespace rebound
