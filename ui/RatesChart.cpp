#include "RatesChart.h"

#include "ColumnDecimation.h"
#include "TypeColors.h"
#include "engine/EngineView.h"
#include "policy/PolicySet.h"
#include "policy/PolicyStore.h"

#include <QChart>
#include <QChartView>
#include <QDateTime>
#include <QLegendMarker>
#include <QLineSeries>
#include <QToolTip>
#include <QValueAxis>

namespace rebound {

RatesChart::RatesChart(const EngineView &engine, QWidget *parent)
    : m_engine(engine),
      m_chartView(makeView(QChart::tr("Failure (—) and slow-call (···) rates, %"), parent))
{
    QValueAxis *y = valueAxis(m_chartView->chart());
    y->setRange(0, 100);
    y->setLabelFormat(QStringLiteral("%d%%"));
    m_threshold = thresholdLine(Qt::DashLine);
    m_slowThreshold = thresholdLine(Qt::DotLine);
}

QLineSeries *RatesChart::thresholdLine(Qt::PenStyle style)
{
    auto *line = new QLineSeries;
    QPen pen(QColor(0x55, 0x55, 0x55));
    pen.setStyle(style);
    pen.setWidthF(1.5);
    line->setPen(pen);
    add(m_chartView->chart(), line);
    // The legend's room goes to the types; the lines are named on hover.
    for (QLegendMarker *marker : m_chartView->chart()->legend()->markers(line))
        marker->setVisible(false);
    QObject::connect(line, &QLineSeries::hovered, line, [line](const QPointF &, bool on) {
        if (on)
            QToolTip::showText(QCursor::pos(), line->name());
    });
    return line;
}

void RatesChart::sample(std::int64_t nowMs)
{
    const double at = double(nowMs);
    const auto keep = [at](std::deque<QPointF> &pts, double rate) {
        pts.emplace_back(at, std::max(0.0, rate)); // negative: not judged yet
        while (pts.size() > kMaxSamples)
            pts.pop_front();
    };
    for (const auto &[endpoint, type] : m_engine.breakerKeys()) {
        const BreakerMetrics m = m_engine.breakerMetrics(endpoint, type);
        keep(m_failureRates[type], m.failureRate);
        keep(m_slowRates[type], m.slowCallRate);
    }
}

void RatesChart::drawRates(const Samples &samples, QHash<QString, QLineSeries *> &series,
                           const QString &label, Qt::PenStyle style, const Window &w)
{
    QChart *chart = m_chartView->chart();
    for (auto it = samples.begin(); it != samples.end(); ++it) {
        QLineSeries *&s = series[it.key()];
        if (!s) {
            s = new QLineSeries;
            s->setName(label.arg(it.key()));
            add(chart, s);
            // The type's own colour (its tile's and its table cell's); solid for failures,
            // dotted for slow calls. After adding: the chart's theme colours what it is given.
            QPen pen(TypeColors::of(it.key()));
            pen.setStyle(style);
            pen.setWidthF(1.5);
            s->setPen(pen);
            // The legend names each type once (its failure line); the dotted twin shares it.
            for (QLegendMarker *marker : chart->legend()->markers(s)) {
                marker->setVisible(style == Qt::SolidLine);
                marker->setLabel(it.key());
            }
            QObject::connect(s, &QLineSeries::hovered, chart, [this, s](const QPointF &p, bool on) {
                if (!on)
                    return;
                const QDateTime at =
                    QDateTime::fromMSecsSinceEpoch(m_drawnAtMs + std::int64_t(p.x() * 60'000.0));
                QToolTip::showText(QCursor::pos(),
                                   QStringLiteral("%1: %2% at %3")
                                       .arg(s->name())
                                       .arg(p.y(), 0, 'f', 0)
                                       .arg(at.toString(QStringLiteral("HH:mm:ss"))));
            });
        }
        QList<QPointF> pts;
        for (const QPointF &p : it.value())
            if (w.x(p.x()) >= -w.minutes)
                pts << QPointF(w.x(p.x()), p.y());
        // Qt Charts strokes every point it is given on each replace(): it gets at most four
        // per pixel column, which draw the same line.
        const QRectF plot = chart->plotArea();
        s->replace(ColumnDecimation::reduce(pts, -w.minutes, 0, plot.left(), plot.width()));
    }
}

void RatesChart::draw(const Window &w)
{
    m_drawnAtMs = w.nowMs;
    drawRates(m_failureRates, m_failureSeries, QChart::tr("%1 failure rate"), Qt::SolidLine, w);
    drawRates(m_slowRates, m_slowSeries, QChart::tr("%1 slow-call rate"), Qt::DotLine, w);
    // Dense lines (several types, hundreds of points each after the reduction) are drawn
    // without antialiasing: a 1 px aliased line is what the reduction draws exactly.
    qsizetype drawn = 0;
    for (const QLineSeries *s : std::as_const(m_failureSeries))
        drawn += s->count();
    for (const QLineSeries *s : std::as_const(m_slowSeries))
        drawn += s->count();
    m_chartView->setRenderHint(QPainter::Antialiasing, drawn < 2000);
    const BreakerConfig &breaker = m_engine.policySource().current()->policyFor(QString()).breaker;
    m_threshold->setName(
        QChart::tr("the breaker opens at %1% failures").arg(breaker.failureRateThreshold));
    m_threshold->replace({QPointF(-w.minutes, breaker.failureRateThreshold),
                          QPointF(0, breaker.failureRateThreshold)});
    m_slowThreshold->setName(
        QChart::tr("the breaker opens at %1% slow calls").arg(breaker.slowCallRateThreshold));
    m_slowThreshold->replace({QPointF(-w.minutes, breaker.slowCallRateThreshold),
                              QPointF(0, breaker.slowCallRateThreshold)});
}

} // namespace rebound
