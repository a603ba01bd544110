#include "ChartPanel.h"

#include <QChart>
#include <QChartView>
#include <QLegend>
#include <QValueAxis>

namespace rebound {

QChartView *ChartPanel::makeView(const QString &title, QWidget *parent)
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
    auto *x = new QValueAxis;
    QFont f = x->labelsFont();
    f.setPointSizeF(f.pointSizeF() * 0.8);
    x->setLabelsFont(f);
    x->setTitleText(QChart::tr("minutes"));
    x->setTitleFont(f);
    x->setLabelFormat(QStringLiteral("%.0f"));
    auto *y = new QValueAxis;
    y->setLabelFormat(QStringLiteral("%.1f"));
    y->setLabelsFont(f);
    c->addAxis(x, Qt::AlignBottom);
    c->addAxis(y, Qt::AlignLeft);
    auto *view = new QChartView(c, parent);
    view->setRenderHint(QPainter::Antialiasing);
    view->setRubberBand(QChartView::RectangleRubberBand); // zoom
    view->setMinimumSize(220, 130);
    return view;
}

QValueAxis *ChartPanel::timeAxis(const QChart *chart)
{
    return static_cast<QValueAxis *>(chart->axes(Qt::Horizontal).first());
}

QValueAxis *ChartPanel::valueAxis(const QChart *chart)
{
    return static_cast<QValueAxis *>(chart->axes(Qt::Vertical).first());
}

void ChartPanel::add(QChart *chart, QAbstractSeries *series, QValueAxis *y)
{
    chart->addSeries(series);
    series->attachAxis(timeAxis(chart));
    series->attachAxis(y ? y : valueAxis(chart));
}

} // namespace rebound
