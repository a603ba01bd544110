#pragma once

#include "guards/HealthMonitor.h"

#include <QHash>
#include <QWidget>

#include <optional>

class QLabel;

namespace rebound {

class EngineView;

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
    /// The health line of a type's tile: not judged yet, or the evidence and the score.
    static QString healthText(const std::optional<HealthScore> &score);

private:
    const EngineView &m_engine;
    QHash<QString, QLabel *> m_tiles;
};

} // namespace rebound
