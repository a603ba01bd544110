#pragma once

#include "Clock.h"

#include <QHash>
#include <QWidget>

#include <deque>

class QChart;
class QChartView;
class QCheckBox;
class QComboBox;
class QLineSeries;
class QValueAxis;

namespace rebound {

class Orchestrator;
struct TrackedTask;

/// Live charts: retry latency (p50/p95 of attempt duration and the delays chosen, per 10 s
/// bucket), breaker state per task type, and retry pressure (retries per second), with markers
/// where a policy version was applied. Samples live in bounded ring buffers; the series are
/// redrawn at most twice a second with replace(), never point by point.
class ChartsPane final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ChartsPane)

public:
    ChartsPane(Orchestrator &orchestrator, const Clock &clock, QWidget *parent = nullptr);

    static constexpr int kBucketMs = 10'000;
    static constexpr int kMaxBuckets = 360; ///< one hour
    int bucketCount() const { return static_cast<int>(m_buckets.size()); }

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
    void onTasks(const QList<const TrackedTask *> &tasks);
    Bucket &current();
    void redraw();

    Orchestrator &m_orchestrator;
    const Clock &m_clock;
    std::deque<Bucket> m_buckets;
    QHash<QString, int> m_seenAttempt;
    QHash<QString, std::int64_t> m_seenDecision;
    QHash<QString, std::int64_t> m_firstFailure; ///< wall ms of a task's first failed attempt
    QHash<QString, std::deque<QPointF>> m_breakerPoints; ///< per type, bounded
    QHash<QString, std::deque<QPointF>> m_failureRates;  ///< per type, sampled every 2 s, bounded
    QHash<QString, QLineSeries *> m_rateSeries;
    QLineSeries *m_threshold = nullptr;
    QValueAxis *m_rateAxis = nullptr;
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
    QHash<QString, QLineSeries *> m_breakerSeries;
    QList<QLineSeries *> m_markers;
    QComboBox *m_window;
    QCheckBox *m_pause;
    bool m_dirty = false;
};

} // namespace rebound
