#pragma once

#include "guards/HealthMonitor.h"

#include <QHash>

#include <QWidget>
#include <array>

#include <optional>

class QLabel;

namespace rebound {

class EngineView;
struct TaskRow;

/// One tile per task type: its breaker's tier as a word and a colour, never a number, with the
/// rates and the health score in its tooltip.
class BreakerTiles final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(BreakerTiles)

public:
    BreakerTiles(const EngineView &engine, QWidget *parent = nullptr);
    /// Reads every type's breaker again (a tile per type seen so far).
    void refresh();
    /// A batch of changed rows: which tasks of each type wait, and for what.
    void rows(const QList<TaskRow> &rows);
    /// Tasks leaving the view (their endpoint removed): they wait for nothing here any more.
    void forget(const QStringList &keys);
    /// "62 waiting: 40 breaker · 22 unhealthy" for a type (empty: none waits).
    QString waitingText(const QString &type) const;
    /// The health line of a type's tile: not judged yet, or the evidence and the score.
    static QString healthText(const std::optional<HealthScore> &score);

private:
    /// One task no longer waits here (its count goes with it).
    void stopWaiting(const QString &key);

    const EngineView &m_engine;
    QHash<QString, QLabel *> m_tiles;
    /// The deferred tasks, by key: their type and what they wait for (a DeferReason).
    QHash<QString, QPair<QString, int>> m_waiting;
    /// The same, counted per type and reason (kept with m_waiting: a tick reads no task).
    QHash<QString, std::array<int, 4>> m_waitingCounts;
};

} // namespace rebound
