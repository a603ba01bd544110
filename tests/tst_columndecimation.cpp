// ColumnDecimation: what it keeps of each pixel column, exactly, and that the line Qt Charts
// draws from it covers the pixels of the full line.
#include "ColumnDecimation.h"

#include <QApplication>
#include <QChart>
#include <QChartView>
#include <QLineSeries>
#include <QTest>
#include <QValueAxis>

#include <cmath>

using namespace rebound;

class TestColumnDecimation final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void reduce_data();
    void reduce();
    void drawsTheSameLine_data();
    void drawsTheSameLine();
};

using Points = QList<QPointF>;

void TestColumnDecimation::reduce_data()
{
    QTest::addColumn<Points>("points");
    QTest::addColumn<double>("left");
    QTest::addColumn<double>("width");
    QTest::addColumn<Points>("expected");

    // x in [0, 10) over 2 columns: columns are x < 5 and x >= 5.
    Points dense;
    for (int i = 0; i < 10; ++i)
        dense << QPointF(i, i == 1 ? 9 : i == 3 ? -4 : i == 6 ? -1 : i == 8 ? 7 : 0);
    QTest::newRow("first, low/high in order, last per column")
        << dense << 0.0 << 2.0
        << Points{{0, 0}, {1, 9}, {3, -4}, {4, 0}, {5, 0}, {6, -1}, {8, 7}, {9, 0}};
    // The same line starting half a column in: the device's columns, not the axis' ones —
    // the boundaries move to x 2.5 and 7.5.
    QTest::newRow("columns are the device's (plot area left edge)")
        << dense << 0.5 << 2.0
        << Points{{0, 0}, {1, 9}, {2, 0}, {3, -4}, {4, 0}, {7, 0}, {8, 7}, {9, 0}};
    Points flat;
    for (int i = 0; i < 12; ++i)
        flat << QPointF(i, 1);
    QTest::newRow("a flat column keeps its ends")
        << flat << 0.0 << 2.0 << Points{{0, 1}, {5, 1}, {6, 1}, {11, 1}};
    QTest::newRow("few points: unchanged")
        << Points{{0, 1}, {1, 2}, {2, 3}} << 0.0 << 1.0 << Points{{0, 1}, {1, 2}, {2, 3}};
    QTest::newRow("no width: unchanged") << dense << 0.0 << 0.0 << dense;
}

void TestColumnDecimation::reduce()
{
    QFETCH(Points, points);
    QFETCH(double, left);
    QFETCH(double, width);
    QFETCH(Points, expected);
    const double xMax = points.isEmpty() ? 1 : points.last().x() + 1;
    QCOMPARE(ColumnDecimation::reduce(points, 0, xMax, left, width), expected);
}

void TestColumnDecimation::drawsTheSameLine_data()
{
    QTest::addColumn<int>("points");
    QTest::addColumn<double>("noise");
    QTest::newRow("10 000, smooth") << 10'000 << 0.0;
    QTest::newRow("10 000, noisy") << 10'000 << 0.3;
    QTest::newRow("3 000, noisy") << 3'000 << 0.5;
}

void TestColumnDecimation::drawsTheSameLine()
{
    QFETCH(int, points);
    QFETCH(double, noise);
    Points line;
    for (int i = 0; i < points; ++i)
        line << QPointF(i, std::sin(i * 0.01) + noise * std::sin(i * 0.37));
    // The console's pen for dense lines: 1 px, no antialiasing.
    enum Mode
    {
        Empty,
        Full,
        Reduced
    };
    const auto draw = [&](Mode mode) {
        auto *chart = new QChart;
        auto *series = new QLineSeries;
        chart->addSeries(series);
        chart->createDefaultAxes();
        chart->axes(Qt::Horizontal).first()->setRange(0, points);
        chart->axes(Qt::Vertical).first()->setRange(-2, 2);
        chart->legend()->hide();
        QPen pen = series->pen();
        pen.setWidthF(1);
        series->setPen(pen);
        QChartView view(chart);
        view.setRenderHint(QPainter::Antialiasing, false);
        view.resize(440, 300);
        view.show();
        QCoreApplication::processEvents();
        const QRectF plot = chart->plotArea();
        const Points handed =
            mode == Empty  ? Points{}
            : mode == Full ? line
                           : ColumnDecimation::reduce(line, 0, points, plot.left(), plot.width());
        if (mode == Reduced)
            [&] { QVERIFY(handed.size() <= 4 * qsizetype(plot.width()) + 4); }();
        series->replace(handed);
        QImage image(view.size(), QImage::Format_ARGB32_Premultiplied);
        static_cast<QWidget &>(view).render(&image);
        return image;
    };
    const QImage empty = draw(Empty), full = draw(Full), reduced = draw(Reduced);
    int differing = 0, ink = 0;
    for (int y = 0; y < full.height(); ++y) {
        for (int x = 0; x < full.width(); ++x) {
            differing += full.pixel(x, y) != reduced.pixel(x, y);
            ink += full.pixel(x, y) != empty.pixel(x, y);
        }
    }
    qInfo("%d of the line's %d pixels differ", differing, ink);
    // The ends of a few near-vertical segments round differently (under 1 %); columns taken
    // from the axis instead of the device, or extremes dropped, differ by 7-20 %.
    QVERIFY2(differing * 50 <= ink,
             qPrintable(QStringLiteral("%1 of %2 drawn pixels differ").arg(differing).arg(ink)));
}

QTEST_MAIN(TestColumnDecimation)
#include "tst_columndecimation.moc"
