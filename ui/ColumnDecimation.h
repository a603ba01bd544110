#pragma once

#include <QList>
#include <QPointF>

namespace rebound {

/// A line of more points than its chart has pixel columns, reduced to what a 1 px line can
/// show: in each pixel column its first, lowest, highest and last point, in their order.
/// Every point is read, and the line drawn from the result covers the same pixels as the full
/// line (bench_ui counts the ones that differ: ends of a few near-vertical segments); Qt Charts
/// then strokes at most four points per column instead of every one.
class ColumnDecimation final
{
public:
    /// `points` sorted by x; the x axis shows [xMin, xMax] over `width` device pixels starting
    /// at `left` (the plot area's left edge: the columns are the device's, not the axis').
    static QList<QPointF> reduce(const QList<QPointF> &points, double xMin, double xMax,
                                 double left, double width);
};

} // namespace rebound
