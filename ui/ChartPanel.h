#pragma once

#include <QList>
#include <QString>

#include <cstdint>

class QAbstractSeries;
class QChart;
class QChartView;
class QValueAxis;
class QWidget;

namespace rebound {

struct TaskRow;

/// One chart of the Charts dock. The pane keeps the pace (samples every 2 s, redraws at most
/// twice a second) and the window (how far back); a panel keeps its own samples and draws them
/// over the window, x in minutes before now. A new chart is one class implementing this and
/// one line in ChartsPane's list.
class ChartPanel
{
public:
    /// What a redraw covers: wall time now, and how many minutes back.
    struct Window
    {
        std::int64_t nowMs = 0;
        double minutes = 1;
        /// x of a wall time: minutes before now (negative).
        double x(double wallMs) const { return (wallMs - double(nowMs)) / 60'000.0; }
    };

    virtual ~ChartPanel() = default;
    /// The panel's view, made once with `parent`.
    virtual QChartView *view() const = 0;
    /// A batch of changed rows.
    virtual void rows(const QList<TaskRow> &) {}
    /// Every 2 s, at wall time `nowMs`.
    virtual void sample(std::int64_t) {}
    /// A policy version was applied at wall time `atMs`.
    virtual void policyApplied(std::int64_t, int) {}
    virtual void draw(const Window &window) = 0;

protected:
    /// A chart with the dock's small fonts, a minutes axis below and a value axis on the left,
    /// in a zoomable view.
    static QChartView *makeView(const QString &title, QWidget *parent);
    static QValueAxis *timeAxis(const QChart *chart);
    static QValueAxis *valueAxis(const QChart *chart);
    /// Adds `series` on the minutes axis and `y` (the value axis when null).
    static void add(QChart *chart, QAbstractSeries *series, QValueAxis *y = nullptr);
};

} // namespace rebound
