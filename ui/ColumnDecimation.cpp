#include "ColumnDecimation.h"

#include <cmath>

namespace rebound {

QList<QPointF> ColumnDecimation::reduce(const QList<QPointF> &points, double xMin, double xMax,
                                        double left, double width)
{
    if (!(xMax > xMin) || !(width >= 1) || points.size() <= 4 * qsizetype(width))
        return points;
    const double scale = width / (xMax - xMin);
    const auto column = [&](const QPointF &p) { return std::floor(left + (p.x() - xMin) * scale); };
    QList<QPointF> out;
    out.reserve(4 * qsizetype(width) + 8);
    for (qsizetype i = 0; i < points.size();) {
        const double col = column(points[i]);
        qsizetype last = i, low = i, high = i;
        while (last + 1 < points.size() && column(points[last + 1]) == col) {
            ++last;
            if (points[last].y() < points[low].y())
                low = last;
            if (points[last].y() > points[high].y())
                high = last;
        }
        qsizetype previous = -1;
        for (const qsizetype k : {i, std::min(low, high), std::max(low, high), last}) {
            if (k != previous)
                out << points[k];
            previous = k;
        }
        i = last + 1;
    }
    return out;
}

} // namespace rebound
