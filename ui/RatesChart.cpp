#include "RatesChart.h"

#include "ColumnDecimation.h"
#include "engine/EngineView.h"
#include "policy/PolicySet.h"
#include "policy/PolicyStore.h"

#include <QChart>
#include <QChartView>
#include <QLegendMarker>
#include <QLineSeries>
#include <QToolTip>
#include <QValueAxis>

namespace rebound {

RatesChart::RatesChart(const EngineView &engine, QWidget *parent)
    : m_engine(engine), m_chartView(makeView(QChart::tr("Failure and slow-call rates (%)"), parent))
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
            QPen pen = s->pen();
            pen.setStyle(style);
            pen.setWidthF(1); // up to 1 800 samples per line: thin lines draw fast
            s->setPen(pen);
            add(chart, s);
            for (QLegendMarker *marker : chart->legend()->markers(s))
                marker->setVisible(false);
            QObject::connect(s, &QLineSeries::hovered, chart, [s](const QPointF &p, bool on) {
                if (on)
                    QToolTip::showText(QCursor::pos(), QStringLiteral("%1: %2%").arg(s->name()).arg(
                                                           p.y(), 0, 'f', 0));
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
    m_threshold->setName(QChart::tr("failure threshold %1%").arg(breaker.failureRateThreshold));
    m_threshold->replace({QPointF(-w.minutes, breaker.failureRateThreshold),
                          QPointF(0, breaker.failureRateThreshold)});
    m_slowThreshold->setName(
        QChart::tr("slow-call threshold %1%").arg(breaker.slowCallRateThreshold));
    m_slowThreshold->replace({QPointF(-w.minutes, breaker.slowCallRateThreshold),
                              QPointF(0, breaker.slowCallRateThreshold)});
}

} // namespace rebound
