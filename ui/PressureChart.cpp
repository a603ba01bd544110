#include "PressureChart.h"

#include "RetrySamples.h"

#include <QChart>
#include <QChartView>
#include <QLineSeries>
#include <QValueAxis>

namespace rebound {

PressureChart::PressureChart(const RetrySamples &samples, QWidget *parent)
    : m_samples(samples), m_view(makeView(QChart::tr("Retry pressure"), parent)),
      m_rate(new QLineSeries), m_budget(new QLineSeries), m_budgetAxis(new QValueAxis)
{
    m_rate->setName(QChart::tr("retries/s"));
    m_budget->setName(QChart::tr("budget allows (right)"));
    QChart *chart = m_view->chart();
    m_budgetAxis->setLabelFormat(QStringLiteral("%.0f"));
    m_budgetAxis->setLabelsFont(valueAxis(chart)->labelsFont());
    chart->addAxis(m_budgetAxis, Qt::AlignRight);
    add(chart, m_rate);
    add(chart, m_budget, m_budgetAxis);
}

void PressureChart::draw(const Window &w)
{
    QList<QPointF> rate, budget;
    double topRate = 0.1, topBudget = 1;
    for (const RetrySamples::Bucket &b : m_samples.buckets()) {
        const double bx = w.x(double(b.start + RetrySamples::kBucketMs / 2));
        if (bx < -w.minutes)
            continue;
        rate << QPointF(bx, b.retries / (RetrySamples::kBucketMs / 1000.0));
        budget << QPointF(bx, b.budget);
        topRate = std::max(topRate, rate.last().y());
        topBudget = std::max(topBudget, double(b.budget));
    }
    m_rate->replace(rate);
    m_budget->replace(budget);
    valueAxis(m_view->chart())->setRange(0, topRate * 1.2);
    valueAxis(m_view->chart())->applyNiceNumbers();
    m_budgetAxis->setRange(0, topBudget * 1.2);
    m_budgetAxis->applyNiceNumbers();
}

} // namespace rebound
