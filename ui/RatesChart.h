#pragma once

#include "ChartPanel.h"

#include <QHash>
#include <QPointF>

#include <deque>

class QLineSeries;

namespace rebound {

class EngineView;

/// Failure and slow-call rates per task type (%), sampled every 2 s from each type's breaker
/// and kept for an hour, against the thresholds they are judged by (named in the legend; a
/// type's line names itself on hover, the tiles above name the types).
class RatesChart final : public ChartPanel
{
public:
    RatesChart(const EngineView &view, QWidget *parent);
    QChartView *view() const override { return m_chartView; }
    void sample(std::int64_t nowMs) override;
    void draw(const Window &window) override;

    static constexpr std::size_t kMaxSamples = 1800; ///< an hour at one per 2 s

private:
    using Samples = QHash<QString, std::deque<QPointF>>;
    void drawRates(const Samples &samples, QHash<QString, QLineSeries *> &series,
                   const QString &label, Qt::PenStyle style, const Window &w);
    QLineSeries *thresholdLine(Qt::PenStyle style);

    const EngineView &m_engine;
    QChartView *m_chartView;
    Samples m_failureRates;
    Samples m_slowRates;
    QHash<QString, QLineSeries *> m_failureSeries;
    QHash<QString, QLineSeries *> m_slowSeries;
    QLineSeries *m_threshold;
    QLineSeries *m_slowThreshold;
    std::int64_t m_drawnAtMs = 0; ///< "now" of the last drawing (a hovered x back to a time)
};

} // namespace rebound
