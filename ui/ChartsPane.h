#pragma once

#include "guards/CircuitBreaker.h"
#include "guards/HealthMonitor.h"
#include "time/Clock.h"

#include <QHash>
#include <QWidget>

#include <deque>

class QBoxLayout;
class QChart;
class QLabel;
class QChartView;
class QCheckBox;
class QComboBox;
class QLineSeries;
class QValueAxis;

namespace rebound {

class EngineView;
struct TaskRow;

/// Live charts: a tile per task type with its breaker's tier (healthy, degraded, half-open,
/// open, forced open); failure and slow-call rates against their thresholds; retry latency
/// (p50/p95 of attempt duration and the delays chosen, per 10 s bucket) with a marker where a
/// policy version was applied; retries per second next to the retry budget, each on its own
/// axis. Samples live in bounded ring buffers; the series are redrawn at most twice a second
/// with replace(), never point by point.
class ChartsPane final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ChartsPane)

public:
    ChartsPane(EngineView &view, const Clock &clock, QWidget *parent = nullptr);

    static constexpr int kBucketMs = 10'000;
    static constexpr int kMaxBuckets = 360; ///< one hour
    /// Side by side (in a bottom dock) or stacked (in a side dock).
    void setWide(bool wide);

private:
    struct Bucket
    {
        std::int64_t start = 0;
        std::vector<double> durations; ///< capped reservoir
        std::vector<double> delays;
        std::vector<double> recoveries; ///< first failure -> success, seconds
        int retries = 0;
        int budget = 0; ///< concurrent retries the budgets allowed, sampled
    };
    void onTasks(const QList<rebound::TaskRow> &rows);
    Bucket &current();
    void redraw();
    void updateTiles();
    /// The health line of a type's tile: not judged yet, or the evidence and the score.
    static QString healthText(const std::optional<HealthScore> &score);
    /// The smallest window that holds everything recorded so far (until the operator picks).
    void fitWindow();

    EngineView &m_view;
    const Clock &m_clock;
    std::deque<Bucket> m_buckets;
    QHash<QString, int> m_seenAttempt;
    QHash<QString, std::int64_t> m_seenDecision;
    QHash<QString, std::int64_t> m_firstFailure; ///< wall ms of a task's first failed attempt
    QHash<QString, std::deque<QPointF>> m_failureRates; ///< per type, sampled every 2 s, bounded
    QHash<QString, QLineSeries *> m_rateSeries;
    QLineSeries *m_threshold = nullptr;
    int m_sampleTick = 0;
    std::deque<std::pair<std::int64_t, int>> m_policyMarks;
    QChart *m_latency;
    QChart *m_breaker;
    QChart *m_pressure;
    QLineSeries *m_p50;
    QLineSeries *m_p95;
    QLineSeries *m_delay;
    QLineSeries *m_retryRate;
    QLineSeries *m_recovery;
    QLineSeries *m_budget;
    QHash<QString, QLineSeries *> m_slowSeries;
    QHash<QString, std::deque<QPointF>> m_slowRates;
    QList<QLineSeries *> m_markers;
    QLineSeries *m_slowThreshold = nullptr;
    QValueAxis *m_budgetAxis = nullptr;
    QWidget *m_tiles = nullptr;
    QChartView *m_ratesView = nullptr;
    QHash<QString, QLabel *> m_tileLabels;
    QBoxLayout *m_chartsLayout = nullptr;
    bool m_windowChosen = false;
    std::int64_t m_firstSampleMs = 0;
    QComboBox *m_window;
    QCheckBox *m_pause;
    bool m_dirty = false;
};

} // namespace rebound
