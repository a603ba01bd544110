#include "ChartsPane.h"

#include "ColumnDecimation.h"

#include "StateBadgeDelegate.h"
#include "TaskRowText.h"
#include "TaskTableModel.h"
#include "engine/EngineView.h"
#include "policy/PolicySet.h"
#include "policy/PolicyStore.h"

#include <QChart>
#include <QChartView>
#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLegendMarker>
#include <QLineSeries>
#include <QTimer>
#include <QToolTip>
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

ChartsPane::ChartsPane(EngineView &view, const Clock &clock, QWidget *parent)
    : QWidget(parent), m_view(view), m_clock(clock), m_latency(makeChart(tr("Retry latency (s)"))),
      m_breaker(makeChart(tr("Failure and slow-call rates (%)"))),
      m_pressure(makeChart(tr("Retry pressure"))), m_p50(new QLineSeries), m_p95(new QLineSeries),
      m_delay(new QLineSeries), m_retryRate(new QLineSeries), m_recovery(new QLineSeries),
      m_budget(new QLineSeries), m_window(new QComboBox(this)),
      m_pause(new QCheckBox(tr("Pause"), this))
{
    setObjectName(QStringLiteral("chartsPane"));
    m_p50->setName(tr("attempt p50"));
    m_p95->setName(tr("attempt p95"));
    m_delay->setName(tr("backoff chosen (mean)"));
    m_retryRate->setName(tr("retries/s"));
    m_recovery->setName(tr("time to recovery (mean)"));
    m_budget->setName(tr("retries the budget allows at once (right axis)"));
    for (QLineSeries *s : {m_p50, m_p95, m_delay})
        m_latency->addSeries(s);
    m_latency->addSeries(m_recovery);
    m_pressure->addSeries(m_retryRate);
    m_pressure->addSeries(m_budget);
    QFont small;
    for (QChart *c : {m_latency, m_breaker, m_pressure}) {
        auto *x = new QValueAxis;
        QFont f = x->labelsFont();
        f.setPointSizeF(f.pointSizeF() * 0.8);
        small = f;
        x->setLabelsFont(f);
        x->setTitleText(tr("minutes"));
        x->setTitleFont(f);
        x->setLabelFormat(QStringLiteral("%.0f"));
        auto *y = new QValueAxis;
        y->setLabelFormat(QStringLiteral("%.1f"));
        y->setLabelsFont(f);
        c->addAxis(x, Qt::AlignBottom);
        c->addAxis(y, Qt::AlignLeft);
    }
    // Retries per second on the left, the budget (concurrent retries) on its own right axis.
    m_budgetAxis = new QValueAxis;
    m_budgetAxis->setLabelFormat(QStringLiteral("%.0f"));
    m_budgetAxis->setLabelsFont(small);
    m_pressure->addAxis(m_budgetAxis, Qt::AlignRight);
    for (QChart *c : {m_latency, m_pressure})
        for (QAbstractSeries *s : c->series()) {
            s->attachAxis(c->axes(Qt::Horizontal).first());
            s->attachAxis(s == m_budget ? m_budgetAxis : c->axes(Qt::Vertical).first());
        }
    static_cast<QValueAxis *>(m_breaker->axes(Qt::Vertical).first())->setRange(0, 100);
    static_cast<QValueAxis *>(m_breaker->axes(Qt::Vertical).first())
        ->setLabelFormat(QStringLiteral("%d%%"));
    // The thresholds the rates are judged against, named in the legend.
    const auto thresholdLine = [this](Qt::PenStyle style) {
        auto *line = new QLineSeries;
        QPen pen(QColor(0x55, 0x55, 0x55));
        pen.setStyle(style);
        pen.setWidthF(1.5);
        line->setPen(pen);
        m_breaker->addSeries(line);
        line->attachAxis(m_breaker->axes(Qt::Horizontal).first());
        line->attachAxis(m_breaker->axes(Qt::Vertical).first());
        return line;
    };
    m_threshold = thresholdLine(Qt::DashLine);
    m_slowThreshold = thresholdLine(Qt::DotLine);

    m_window->setObjectName(QStringLiteral("chartWindow"));
    m_window->setToolTip(tr("How far back the charts look (until picked, it fits the data)"));
    for (int m : {1, 5, 15, 60})
        m_window->addItem(tr("%1 min").arg(m), m);
    m_window->setCurrentIndex(0);
    m_pause->setObjectName(QStringLiteral("chartPause"));
    m_pause->setToolTip(tr("Freeze the charts (sampling goes on)"));
    auto *controls = new QHBoxLayout;
    controls->addWidget(m_window);
    controls->addWidget(m_pause);
    controls->addStretch();
    // One tile per task type: its breaker's tier as a word and a colour, never a number.
    m_tiles = new QWidget(this);
    m_tiles->setObjectName(QStringLiteral("breakerTiles"));
    auto *tiles = new QHBoxLayout(m_tiles);
    tiles->setContentsMargins(0, 0, 0, 0);
    tiles->setSpacing(4);
    tiles->addStretch();
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(controls);
    layout->addWidget(m_tiles);
    m_chartsLayout = new QBoxLayout(QBoxLayout::TopToBottom);
    for (QChart *c : {m_breaker, m_latency, m_pressure}) {
        auto *view = new QChartView(c, this);
        if (c == m_breaker)
            m_ratesView = view;
        view->setRenderHint(QPainter::Antialiasing);
        view->setRubberBand(QChartView::RectangleRubberBand); // zoom
        view->setMinimumSize(220, 130);
        m_chartsLayout->addWidget(view, 1);
    }
    layout->addLayout(m_chartsLayout, 1);
    connect(&m_view, &EngineView::rowsUpdated, this, &ChartsPane::onTasks);
    connect(&m_view, &EngineView::breakerTransition, this,
            [this](const QString &, const QString &, const BreakerTransition &) { updateTiles(); });
    connect(&m_view.policySource(), &PolicyStore::policiesChanged, this, [this](int version) {
        m_policyMarks.emplace_back(m_clock.wallNowMs(), version);
        while (m_policyMarks.size() > 20)
            m_policyMarks.pop_front();
        m_dirty = true;
    });
    connect(m_window, &QComboBox::activated, this, [this] { m_windowChosen = true; });
    connect(m_window, &QComboBox::currentIndexChanged, this, [this] { m_dirty = true, redraw(); });
    auto *timer = new QTimer(this);
    connect(timer, &QTimer::timeout, this, &ChartsPane::redraw);
    timer->start(500);
}

void ChartsPane::setWide(bool wide)
{
    m_chartsLayout->setDirection(wide ? QBoxLayout::LeftToRight : QBoxLayout::TopToBottom);
}

QString ChartsPane::healthText(const std::optional<HealthScore> &s)
{
    if (!s)
        return tr("health: no calls seen");
    if (!s->enoughData())
        return tr("health: %1 of %2 calls seen, not judged yet").arg(s->calls).arg(s->minimumCalls);
    return tr("health: %1 — errors %2 %, latency %3 (score %4)")
        .arg(s->unhealthy ? tr("unhealthy, retries wait") : tr("healthy"))
        .arg(qRound(s->errorRate * 100))
        .arg(TaskRowText::latencyText(s->meanLatencyMs))
        .arg(s->score, 0, 'f', 2);
}

void ChartsPane::updateTiles()
{
    auto *layout = static_cast<QHBoxLayout *>(m_tiles->layout());
    for (const auto &[endpoint, type] : m_view.breakerKeys()) {
        QLabel *&tile = m_tileLabels[type];
        if (!tile) {
            tile = new QLabel(m_tiles);
            tile->setObjectName(QStringLiteral("breakerTile.") + type);
            tile->setAlignment(Qt::AlignCenter);
            layout->insertWidget(layout->count() - 1, tile);
        }
        const BreakerHealth h = m_view.breakerHealth(endpoint, type);
        const BreakerMetrics m = m_view.breakerMetrics(endpoint, type);
        tile->setText(QStringLiteral("%1\n%2").arg(type, StateBadgeDelegate::tierLabel(h)));
        tile->setToolTip(
            tr("%1: breaker %2\nfailure rate %3 · slow calls %4\n%5")
                .arg(type, StateBadgeDelegate::tierLabel(h),
                     m.failureRate < 0 ? tr("not judged yet")
                                       : QStringLiteral("%1%").arg(m.failureRate, 0, 'f', 0),
                     m.slowCallRate < 0 ? tr("not judged yet")
                                        : QStringLiteral("%1%").arg(m.slowCallRate, 0, 'f', 0),
                     healthText(m_view.healthScore(endpoint, type))));
        tile->setStyleSheet(
            QStringLiteral("QLabel { color: white; background: %1; padding: 3px 8px; "
                           "border-radius: 4px; }")
                .arg(StateBadgeDelegate::tierColor(h).name()));
    }
}

void ChartsPane::fitWindow()
{
    if (m_windowChosen || !m_firstSampleMs)
        return;
    const double spanMin = double(m_clock.wallNowMs() - m_firstSampleMs) / 60'000.0;
    int pick = m_window->count() - 1;
    for (int i = 0; i < m_window->count(); ++i)
        if (m_window->itemData(i).toDouble() >= spanMin) {
            pick = i;
            break;
        }
    if (pick != m_window->currentIndex()) {
        QSignalBlocker block(m_window);
        m_window->setCurrentIndex(pick);
    }
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

void ChartsPane::onTasks(const QList<TaskRow> &rows)
{
    Bucket &b = current();
    for (const TaskRow &row : rows) {
        const TaskRow *t = &row;
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
        if (t->decision && !t->foreignDecision) { // this console's retries
            if (const auto *r = std::get_if<RetryPlan>(&*t->decision)) {
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
        if (!m_firstSampleMs)
            m_firstSampleMs = m_clock.wallNowMs();
        updateTiles();
        for (const auto &[endpoint, type] : m_view.breakerKeys()) {
            const BreakerMetrics m = m_view.breakerMetrics(endpoint, type);
            auto &pts = m_failureRates[type];
            pts.emplace_back(at, std::max(0.0, m.failureRate));
            while (pts.size() > 1800)
                pts.pop_front();
            auto &slow = m_slowRates[type];
            slow.emplace_back(at, std::max(0.0, m.slowCallRate));
            while (slow.size() > 1800)
                slow.pop_front();
        }
        current().budget = m_view.allowedConcurrentRetries();
        m_dirty = true;
    }
    if (!m_dirty || m_pause->isChecked() || !isVisible())
        return;
    m_dirty = false;
    fitWindow();
    const double now = double(m_clock.wallNowMs());
    const double windowMin = m_window->currentData().toDouble();
    const auto x = [now](double wallMs) { return (wallMs - now) / 60'000.0; };
    QList<QPointF> p50, p95, delay, rate, recovery, budget;
    double maxLatency = 0.1, maxRate = 0.1, maxBudget = 1;
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
        maxRate = std::max(maxRate, rate.last().y());
        maxBudget = std::max(maxBudget, double(b.budget));
    }
    m_p50->replace(p50);
    m_p95->replace(p95);
    m_delay->replace(delay);
    m_retryRate->replace(rate);
    m_recovery->replace(recovery);
    m_budget->replace(budget);

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
                pen.setWidthF(1); // up to 1 800 samples per line: thin lines draw fast
                s->setPen(pen);
                m_breaker->addSeries(s);
                s->attachAxis(m_breaker->axes(Qt::Horizontal).first());
                s->attachAxis(m_breaker->axes(Qt::Vertical).first());
                // The legend names the thresholds; a type's line names itself on hover (the
                // tiles above name the types).
                for (QLegendMarker *marker : m_breaker->legend()->markers(s))
                    marker->setVisible(false);
                connect(s, &QLineSeries::hovered, this, [s](const QPointF &p, bool on) {
                    if (on)
                        QToolTip::showText(
                            QCursor::pos(),
                            QStringLiteral("%1: %2%").arg(s->name()).arg(p.y(), 0, 'f', 0));
                });
            }
            QList<QPointF> pts;
            for (const QPointF &p : it.value())
                if (x(p.x()) >= -windowMin)
                    pts << QPointF(x(p.x()), p.y());
            // Qt Charts strokes every point it is given on each replace(): it gets at most
            // four per pixel column, which draw the same line.
            const QRectF plot = m_breaker->plotArea();
            s->replace(ColumnDecimation::reduce(pts, -windowMin, 0, plot.left(), plot.width()));
        }
    };
    drawRates(m_failureRates, m_rateSeries, tr("%1 failure rate"), Qt::SolidLine);
    drawRates(m_slowRates, m_slowSeries, tr("%1 slow-call rate"), Qt::DotLine);
    // Dense lines (several types, hundreds of points each after the reduction) are drawn
    // without antialiasing: a 1 px aliased line is what the reduction draws exactly.
    qsizetype drawn = 0;
    for (const QLineSeries *s : std::as_const(m_rateSeries))
        drawn += s->count();
    for (const QLineSeries *s : std::as_const(m_slowSeries))
        drawn += s->count();
    m_ratesView->setRenderHint(QPainter::Antialiasing, drawn < 2000);
    const BreakerConfig &breaker = m_view.policySource().current()->policyFor(QString()).breaker;
    m_threshold->setName(tr("failure threshold %1%").arg(breaker.failureRateThreshold));
    m_threshold->replace({QPointF(-windowMin, breaker.failureRateThreshold),
                          QPointF(0, breaker.failureRateThreshold)});
    m_slowThreshold->setName(tr("slow-call threshold %1%").arg(breaker.slowCallRateThreshold));
    m_slowThreshold->replace({QPointF(-windowMin, breaker.slowCallRateThreshold),
                              QPointF(0, breaker.slowCallRateThreshold)});
    // Policy version markers: a vertical line on the latency chart per applied version.
    // One legend entry ("policy change") for all of them; each says its version on hover.
    while (m_markers.size() < qsizetype(m_policyMarks.size())) {
        auto *s = new QLineSeries;
        QPen pen(QColor(0x9b, 0x59, 0xb6));
        pen.setStyle(Qt::DashDotLine);
        s->setPen(pen);
        s->setName(tr("policy change"));
        m_latency->addSeries(s);
        s->attachAxis(m_latency->axes(Qt::Horizontal).first());
        s->attachAxis(m_latency->axes(Qt::Vertical).first());
        const bool first = m_markers.isEmpty();
        for (QLegendMarker *marker : m_latency->legend()->markers(s))
            marker->setVisible(first);
        const int index = int(m_markers.size());
        connect(s, &QLineSeries::hovered, this, [this, index](const QPointF &, bool on) {
            if (on && index < qsizetype(m_policyMarks.size()))
                QToolTip::showText(
                    QCursor::pos(),
                    tr("policy v%1 applied").arg(m_policyMarks[std::size_t(index)].second));
        });
        m_markers << s;
    }
    for (qsizetype i = 0; i < m_markers.size(); ++i) {
        const auto &[at, version] = m_policyMarks[std::size_t(i)];
        m_markers[i]->replace(
            {QPointF(x(double(at)), 0), QPointF(x(double(at)), maxLatency * 1.1)});
    }
    for (QChart *c : {m_latency, m_breaker, m_pressure}) {
        auto *axis = static_cast<QValueAxis *>(c->axes(Qt::Horizontal).first());
        axis->setRange(-windowMin, 0);
        axis->setLabelFormat(windowMin <= 1 ? QStringLiteral("%.1f") : QStringLiteral("%.0f"));
    }
    static_cast<QValueAxis *>(m_latency->axes(Qt::Vertical).first())->setRange(0, maxLatency * 1.1);
    static_cast<QValueAxis *>(m_pressure->axes(Qt::Vertical).first())->setRange(0, maxRate * 1.2);
    m_budgetAxis->setRange(0, maxBudget * 1.2);
}

} // namespace rebound
