#include "LatencyChart.h"

#include "RetrySamples.h"

#include <QChart>
#include <QChartView>
#include <QLegendMarker>
#include <QLineSeries>
#include <QToolTip>
#include <QValueAxis>

namespace rebound {

LatencyChart::LatencyChart(const RetrySamples &samples, QWidget *parent)
    : m_samples(samples), m_view(makeView(QChart::tr("Retry latency (s)"), parent)),
      m_p50(new QLineSeries), m_p95(new QLineSeries), m_delay(new QLineSeries),
      m_recovery(new QLineSeries)
{
    // Short names: four entries and the policy marker fit a laptop's third of the width.
    m_p50->setName(QChart::tr("p50"));
    m_p95->setName(QChart::tr("p95"));
    m_delay->setName(QChart::tr("backoff"));
    m_recovery->setName(QChart::tr("recovery"));
    for (QLineSeries *s : {m_p50, m_p95, m_delay, m_recovery})
        add(m_view->chart(), s);
}

void LatencyChart::policyApplied(std::int64_t atMs, int version)
{
    m_policyMarks.emplace_back(atMs, version);
    while (m_policyMarks.size() > kMaxMarks)
        m_policyMarks.pop_front();
}

void LatencyChart::draw(const Window &w)
{
    QList<QPointF> p50, p95, delay, recovery;
    double top = 0.1;
    for (const RetrySamples::Bucket &b : m_samples.buckets()) {
        const double bx = w.x(double(b.start + RetrySamples::kBucketMs / 2));
        if (bx < -w.minutes)
            continue;
        if (!b.durations.empty()) {
            p50 << QPointF(bx, RetrySamples::percentile(b.durations, 0.5));
            p95 << QPointF(bx, RetrySamples::percentile(b.durations, 0.95));
            top = std::max(top, p95.last().y());
        }
        if (!b.delays.empty()) {
            delay << QPointF(bx, RetrySamples::mean(b.delays));
            top = std::max(top, delay.last().y());
        }
        if (!b.recoveries.empty()) {
            recovery << QPointF(bx, RetrySamples::mean(b.recoveries));
            top = std::max(top, recovery.last().y());
        }
    }
    m_p50->replace(p50);
    m_p95->replace(p95);
    m_delay->replace(delay);
    m_recovery->replace(recovery);
    QChart *chart = m_view->chart();
    while (m_markers.size() < qsizetype(m_policyMarks.size())) {
        auto *s = new QLineSeries;
        QPen pen(QColor(0x9b, 0x59, 0xb6));
        pen.setStyle(Qt::DashDotLine);
        s->setPen(pen);
        s->setName(QChart::tr("policy"));
        add(chart, s);
        const bool first = m_markers.isEmpty();
        for (QLegendMarker *marker : chart->legend()->markers(s))
            marker->setVisible(first);
        const int index = int(m_markers.size());
        QObject::connect(s, &QLineSeries::hovered, chart, [this, index](const QPointF &, bool on) {
            if (on && index < qsizetype(m_policyMarks.size()))
                QToolTip::showText(
                    QCursor::pos(),
                    QChart::tr("policy v%1 applied").arg(m_policyMarks[std::size_t(index)].second));
        });
        m_markers << s;
    }
    for (qsizetype i = 0; i < m_markers.size(); ++i) {
        const double at = w.x(double(m_policyMarks[std::size_t(i)].first));
        m_markers[i]->replace({QPointF(at, 0), QPointF(at, top * 1.1)});
    }
    valueAxis(chart)->setRange(0, top * 1.1);
    valueAxis(chart)->applyNiceNumbers(); // 0, 0.5, 1 … rather than 0, 3.4, 6.7
}

} // namespace rebound
