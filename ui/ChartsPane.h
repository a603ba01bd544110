#pragma once

#include "ChartPanel.h"
#include "RetrySamples.h"
#include "time/Clock.h"

#include <QWidget>

#include <memory>
#include <vector>

class QBoxLayout;
class QCheckBox;
class QComboBox;

namespace rebound {

class BreakerTiles;
class EngineView;
struct TaskRow;

/// The Charts dock: a tile per task type with its breaker's tier, then the charts — failure and
/// slow-call rates (RatesChart), retry latency with policy markers (LatencyChart), retry
/// pressure against the budget (PressureChart). It keeps the pace and the window: samples every
/// 2 s, redraws at most twice a second with replace(), never point by point, over a window
/// that fits the data until the operator picks one.
class ChartsPane final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ChartsPane)

public:
    ChartsPane(EngineView &view, const Clock &clock, QWidget *parent = nullptr);
    ~ChartsPane() override;

    /// Side by side (in a bottom dock) or stacked (in a side dock).
    void setWide(bool wide);

private:
    void onRows(const QList<TaskRow> &rows);
    /// Every 500 ms: samples every fourth time, draws when something changed.
    void tick();
    /// The smallest window that holds everything recorded so far (until the operator picks).
    void fitWindow();

    EngineView &m_view;
    const Clock &m_clock;
    RetrySamples m_samples;
    std::vector<std::unique_ptr<ChartPanel>> m_panels;
    BreakerTiles *m_tiles;
    QComboBox *m_window;
    QCheckBox *m_pause;
    QBoxLayout *m_chartsLayout = nullptr;
    int m_tick = 0;
    bool m_dirty = false;
    bool m_windowChosen = false;
    std::int64_t m_firstSampleMs = 0;
};

} // namespace rebound
