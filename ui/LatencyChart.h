#pragma once

#include "ChartPanel.h"

#include <QList>

#include <deque>
#include <utility>

class QLineSeries;

namespace rebound {

class RetrySamples;

/// Retry latency per 10 s bucket: attempt p50 and p95, the mean backoff this console chose and
/// the mean time to recovery, with a dashed line where each policy version was applied (one
/// legend entry; each line says its version on hover).
class LatencyChart final : public ChartPanel
{
public:
    LatencyChart(const RetrySamples &samples, QWidget *parent);
    QChartView *view() const override { return m_view; }
    void policyApplied(std::int64_t atMs, int version) override;
    void draw(const Window &window) override;

    static constexpr std::size_t kMaxMarks = 20;

private:
    const RetrySamples &m_samples;
    QChartView *m_view;
    QLineSeries *m_p50;
    QLineSeries *m_p95;
    QLineSeries *m_delay;
    QLineSeries *m_recovery;
    std::deque<std::pair<std::int64_t, int>> m_policyMarks;
    QList<QLineSeries *> m_markers;
};

} // namespace rebound
