#include "ChartsPane.h"

#include "Orchestrator.h"

#include <QChart>
#include <QChartView>
#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLegendMarker>
#include <QLineSeries>
#include <QTimer>
#include <QVBoxLayout>
#include <QValueAxis>

#include <algorithm>

namespace rebound {

namespace {

double percentile(std::vector<double> v, double q)
{
    if (v.empty())
        return 0;
    const auto k = static_cast<std::size_t>(
        std::clamp(std::ceil(q * double(v.size())) - 1, 0.0, double(v.size() - 1)));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return v[k];
}

int healthLevel(BreakerHealth h)
{
    switch (h) {
    case BreakerHealth::Healthy:
        return 0;
    case BreakerHealth::Degraded:
        return 1;
    case BreakerHealth::HalfOpen:
        return 2;
    case BreakerHealth::Open:
        return 3;
    case BreakerHealth::ForcedOpen:
        return 4;
    case BreakerHealth::Disabled:
        return -1;
    }
    return 0;
}

QChart *makeChart(const QString &title)
{
    auto *c = new QChart;
    c->setTitle(title);
    QFont small = c->titleFont();
    small.setPointSizeF(small.pointSizeF() * 0.85);
    c->setTitleFont(small);
    small.setPointSizeF(small.pointSizeF() * 0.9);
    c->legend()->setFont(small);
    c->legend()->setAlignment(Qt::AlignBottom);
    c->setMargins(QMargins(2, 2, 2, 2));
    return c;
}

} // namespace

ChartsPane::ChartsPane(Orchestrator &orchestrator, const Clock &clock, QWidget *parent)
    : QWidget(parent), m_orchestrator(orchestrator), m_clock(clock),
      m_latency(makeChart(tr("Retry latency (s)"))),
      m_breaker(makeChart(
          tr("Breaker state (0 healthy · 1 degraded · 2 half-open · 3 open · 4 forced)"))),
      m_pressure(makeChart(tr("Retry pressure (retries/s)"))), m_p50(new QLineSeries),
      m_p95(new QLineSeries), m_delay(new QLineSeries), m_retryRate(new QLineSeries),
      m_recovery(new QLineSeries), m_budget(new QLineSeries), m_window(new QComboBox(this)),
      m_pause(new QCheckBox(tr("Pause"), this))
{
    setObjectName(QStringLiteral("chartsPane"));
    m_p50->setName(tr("attempt p50"));
    m_p95->setName(tr("attempt p95"));
    m_delay->setName(tr("backoff chosen (mean)"));
    m_retryRate->setName(tr("retries/s"));
    m_recovery->setName(tr("time to recovery (mean)"));
    m_budget->setName(tr("retry budget (concurrent retries allowed)"));
    for (QLineSeries *s : {m_p50, m_p95, m_delay})
        m_latency->addSeries(s);
    m_latency->addSeries(m_recovery);
    m_pressure->addSeries(m_retryRate);
    m_pressure->addSeries(m_budget);
    for (QChart *c : {m_latency, m_breaker, m_pressure}) {
        auto *x = new QValueAxis;
        QFont f = x->labelsFont();
        f.setPointSizeF(f.pointSizeF() * 0.8);
        x->setLabelsFont(f);
        x->setTitleText(tr("minutes"));
        x->setTitleFont(f);
        x->setLabelFormat(QStringLiteral("%.0f"));
        auto *y = new QValueAxis;
        y->setLabelFormat(QStringLiteral("%.1f"));
        y->setLabelsFont(f);
        c->addAxis(x, Qt::AlignBottom);
        c->addAxis(y, Qt::AlignLeft);
        for (QAbstractSeries *s : c->series()) {
            s->attachAxis(x);
            s->attachAxis(y);
        }
    }
    m_window->setObjectName(QStringLiteral("chartWindow"));
    for (int m : {1, 5, 15, 60})
        m_window->addItem(tr("%1 min").arg(m), m);
    m_window->setCurrentIndex(1);
    m_pause->setObjectName(QStringLiteral("chartPause"));
    auto *controls = new QHBoxLayout;
    controls->addWidget(m_window);
    controls->addWidget(m_pause);
    controls->addStretch();
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(controls);
    for (QChart *c : {m_latency, m_breaker, m_pressure}) {
        auto *view = new QChartView(c, this);
        view->setRenderHint(QPainter::Antialiasing);
        view->setRubberBand(QChartView::RectangleRubberBand); // zoom
        view->setMinimumSize(380, 190);
        layout->addWidget(view, 1);
    }
    connect(&m_orchestrator, &Orchestrator::tasksUpdated, this, &ChartsPane::onTasks);
    connect(&m_orchestrator, &Orchestrator::breakerTransition, this,
            [this](const QString &, const QString &type, const BreakerTransition &t) {
                auto &pts = m_breakerPoints[type];
                const double x = double(m_clock.wallNowMs());
                const double level = healthLevel(t.to);
                if (!pts.empty())
                    pts.emplace_back(x, pts.back().y()); // a step, not a ramp
                pts.emplace_back(x, level);
                while (pts.size() > 2000)
                    pts.pop_front();
                m_dirty = true;
            });
    connect(&m_orchestrator.policies(), &PolicyStore::policiesChanged, this, [this](int version) {
        m_policyMarks.emplace_back(m_clock.wallNowMs(), version);
        while (m_policyMarks.size() > 20)
            m_policyMarks.pop_front();
        m_dirty = true;
    });
    // Failure rate (right axis, %) against the threshold of the policy of each type.
    m_rateAxis = new QValueAxis;
    m_rateAxis->setRange(0, 100);
    m_rateAxis->setLabelFormat(QStringLiteral("%d%%"));
    m_breaker->addAxis(m_rateAxis, Qt::AlignRight);
    m_threshold = new QLineSeries;
    m_threshold->setName(tr("failure threshold"));
    QPen dashed = m_threshold->pen();
    dashed.setStyle(Qt::DashLine);
    m_threshold->setPen(dashed);
    m_breaker->addSeries(m_threshold);
    m_threshold->attachAxis(m_breaker->axes(Qt::Horizontal).first());
    m_threshold->attachAxis(m_rateAxis);
    connect(m_window, &QComboBox::currentIndexChanged, this, [this] { m_dirty = true, redraw(); });
    auto *timer = new QTimer(this);
    connect(timer, &QTimer::timeout, this, &ChartsPane::redraw);
    timer->start(500);
}

ChartsPane::Bucket &ChartsPane::current()
{
    const std::int64_t start = m_clock.wallNowMs() / kBucketMs * kBucketMs;
    if (m_buckets.empty() || m_buckets.back().start != start) {
        m_buckets.push_back(Bucket{start, {}, {}, {}, 0, 0});
        while (m_buckets.size() > kMaxBuckets)
            m_buckets.pop_front();
    }
    return m_buckets.back();
}

void ChartsPane::onTasks(const QList<const TrackedTask *> &tasks)
{
    Bucket &b = current();
    for (const TrackedTask *t : tasks) {
        const QString &key = t->key;
        if (const auto &a = t->remote.lastAttempt;
            a && a->durationMs && a->outcome != AttemptOutcome::Running) {
            int &seen = m_seenAttempt[key];
            if (a->number > seen) {
                seen = a->number;
                if (b.durations.size() < 5000)
                    b.durations.push_back(double(*a->durationMs) / 1000.0);
                // Time to recovery: from a task's first failure to its success.
                if (a->outcome != AttemptOutcome::Succeeded) {
                    if (!m_firstFailure.contains(key))
                        m_firstFailure.insert(key, a->endedAtMs.value_or(t->remote.updatedAtMs));
                } else if (const auto it = m_firstFailure.constFind(key);
                           it != m_firstFailure.constEnd()) {
                    if (b.recoveries.size() < 5000)
                        b.recoveries.push_back(
                            double(a->endedAtMs.value_or(t->remote.updatedAtMs) - *it) / 1000.0);
                    m_firstFailure.erase(it);
                }
            }
        }
        if (t->lastDecision) {
            if (const auto *r = std::get_if<RetryPlan>(&*t->lastDecision)) {
                std::int64_t &seen = m_seenDecision[key];
                const std::int64_t stamp = toMs(t->decidedAt);
                if (stamp != seen) {
                    seen = stamp;
                    ++b.retries;
                    if (b.delays.size() < 5000)
                        b.delays.push_back(double(r->delay.count()) / 1000.0);
                }
            }
        }
    }
    m_dirty = true;
}

void ChartsPane::redraw()
{
    if (++m_sampleTick % 4 == 0) { // every 2 s: sample each type's failure rate
        const double at = double(m_clock.wallNowMs());
        for (const auto &[endpoint, type] : m_orchestrator.breakerKeys()) {
            const BreakerMetrics m = m_orchestrator.breakerMetrics(endpoint, type);
            auto &pts = m_failureRates[type];
            pts.emplace_back(at, std::max(0.0, m.failureRate));
            while (pts.size() > 1800)
                pts.pop_front();
            auto &slow = m_slowRates[type];
            slow.emplace_back(at, std::max(0.0, m.slowCallRate));
            while (slow.size() > 1800)
                slow.pop_front();
        }
        current().budget = m_orchestrator.allowedConcurrentRetries();
        m_dirty = true;
    }
    if (!m_dirty || m_pause->isChecked() || !isVisible())
        return;
    m_dirty = false;
    const double now = double(m_clock.wallNowMs());
    const double windowMin = m_window->currentData().toDouble();
    const auto x = [now](double wallMs) { return (wallMs - now) / 60'000.0; };
    QList<QPointF> p50, p95, delay, rate, recovery, budget;
    double maxLatency = 0.1, maxRate = 0.1;
    for (const Bucket &b : m_buckets) {
        const double bx = x(double(b.start + kBucketMs / 2));
        if (bx < -windowMin)
            continue;
        if (!b.durations.empty()) {
            p50 << QPointF(bx, percentile(b.durations, 0.5));
            p95 << QPointF(bx, percentile(b.durations, 0.95));
            maxLatency = std::max(maxLatency, p95.last().y());
        }
        if (!b.delays.empty()) {
            double sum = 0;
            for (double d : b.delays)
                sum += d;
            delay << QPointF(bx, sum / double(b.delays.size()));
            maxLatency = std::max(maxLatency, delay.last().y());
        }
        if (!b.recoveries.empty()) {
            double sum = 0;
            for (double r : b.recoveries)
                sum += r;
            recovery << QPointF(bx, sum / double(b.recoveries.size()));
            maxLatency = std::max(maxLatency, recovery.last().y());
        }
        rate << QPointF(bx, b.retries / (kBucketMs / 1000.0));
        budget << QPointF(bx, b.budget);
        maxRate = std::max({maxRate, rate.last().y(), double(b.budget)});
    }
    m_p50->replace(p50);
    m_p95->replace(p95);
    m_delay->replace(delay);
    m_retryRate->replace(rate);
    m_recovery->replace(recovery);
    m_budget->replace(budget);

    for (auto it = m_breakerPoints.begin(); it != m_breakerPoints.end(); ++it) {
        QLineSeries *&s = m_breakerSeries[it.key()];
        if (!s) {
            s = new QLineSeries;
            s->setName(it.key());
            m_breaker->addSeries(s);
            s->attachAxis(m_breaker->axes(Qt::Horizontal).first());
            s->attachAxis(m_breaker->axes(Qt::Vertical).first());
        }
        QList<QPointF> pts;
        for (const QPointF &p : it.value())
            pts << QPointF(x(p.x()), p.y());
        if (!pts.isEmpty())
            pts << QPointF(0, pts.last().y()); // holds until now
        s->replace(pts);
    }
    // Failure and slow-call rates share one drawing: a line per type on the right (%) axis.
    const auto drawRates = [&](const QHash<QString, std::deque<QPointF>> &samples,
                               QHash<QString, QLineSeries *> &series, const QString &label,
                               Qt::PenStyle style) {
        for (auto it = samples.begin(); it != samples.end(); ++it) {
            QLineSeries *&s = series[it.key()];
            if (!s) {
                s = new QLineSeries;
                s->setName(label.arg(it.key()));
                QPen pen = s->pen();
                pen.setStyle(style);
                s->setPen(pen);
                m_breaker->addSeries(s);
                s->attachAxis(m_breaker->axes(Qt::Horizontal).first());
                s->attachAxis(m_rateAxis);
                for (QLegendMarker *marker : m_breaker->legend()->markers(s))
                    marker->setVisible(
                        false); // the legend names the types; rates follow their colours
            }
            QList<QPointF> pts;
            for (const QPointF &p : it.value())
                if (x(p.x()) >= -windowMin)
                    pts << QPointF(x(p.x()), p.y());
            s->replace(pts);
        }
    };
    drawRates(m_failureRates, m_rateSeries, tr("%1 failure %"), Qt::SolidLine);
    drawRates(m_slowRates, m_slowSeries, tr("%1 slow %"), Qt::DotLine);
    const double threshold =
        m_orchestrator.policies().current()->policyFor(QString()).breaker.failureRateThreshold;
    m_threshold->replace({QPointF(-windowMin, threshold), QPointF(0, threshold)});
    // Policy version markers: a vertical line on the latency chart per applied version.
    while (m_markers.size() < qsizetype(m_policyMarks.size())) {
        auto *s = new QLineSeries;
        m_latency->addSeries(s);
        s->attachAxis(m_latency->axes(Qt::Horizontal).first());
        s->attachAxis(m_latency->axes(Qt::Vertical).first());
        m_markers << s;
    }
    for (qsizetype i = 0; i < m_markers.size(); ++i) {
        const auto &[at, version] = m_policyMarks[std::size_t(i)];
        m_markers[i]->setName(tr("policy v%1").arg(version));
        m_markers[i]->replace(
            {QPointF(x(double(at)), 0), QPointF(x(double(at)), maxLatency * 1.1)});
    }
    for (QChart *c : {m_latency, m_breaker, m_pressure})
        static_cast<QValueAxis *>(c->axes(Qt::Horizontal).first())->setRange(-windowMin, 0);
    static_cast<QValueAxis *>(m_latency->axes(Qt::Vertical).first())->setRange(0, maxLatency * 1.1);
    static_cast<QValueAxis *>(m_breaker->axes(Qt::Vertical).first())->setRange(-1, 4.5);
    static_cast<QValueAxis *>(m_pressure->axes(Qt::Vertical).first())->setRange(0, maxRate * 1.2);
}

} // namespace rebound
