#pragma once

#include "ChartPanel.h"

class QLineSeries;

namespace rebound {

class RetrySamples;

/// Retry pressure per 10 s bucket: retries per second this console decided (left axis) next to
/// the concurrent retries the budgets allowed (its own right axis).
class PressureChart final : public ChartPanel
{
public:
    PressureChart(const RetrySamples &samples, QWidget *parent);
    QChartView *view() const override { return m_view; }
    void draw(const Window &window) override;

private:
    const RetrySamples &m_samples;
    QChartView *m_view;
    QLineSeries *m_rate;
    QLineSeries *m_budget;
    QValueAxis *m_budgetAxis;
};

} // namespace rebound
