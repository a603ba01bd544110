// UI benchmark (issues 4 and 11): N tasks (100 000 by default, `--tasks 1000000` for a day of a
// busy fleet) in the model, 1 000 task updates per second flowing in, a real QTableView over the
// proxy with a text filter and the console's default sort active. Measures the UI thread's
// stalls with a probe timer, load, re-filter, clearing, sorting, the state counts and resident
// memory — for Rebound's TaskFilterProxy and, in the same run, the naive path: a
// QSortFilterProxyModel sorting and filtering dynamically over the same model with the same
// fast comparisons.
#include "ColumnDecimation.h"
#include "TaskFilterProxy.h"
#include "TaskTableModel.h"
#include "engine/Engine.h"

#include <QApplication>
#include <QChart>
#include <QChartView>
#include <QElapsedTimer>
#include <QFile>
#include <QHeaderView>
#include <QImage>
#include <QLineSeries>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QTemporaryDir>
#include <QTimer>
#include <QValueAxis>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

using namespace rebound;

namespace {

long rssMb()
{
    QFile f(QStringLiteral("/proc/self/status"));
    f.open(QIODevice::ReadOnly);
    for (const QByteArray &line : f.readAll().split('\n'))
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').first().toLong() / 1024;
    return 0;
}

// A day of a busy fleet: nine tasks in ten have succeeded, one in ten runs (`--all-running`:
// every task runs, the shape the issue-4 benchmark used).
bool g_allRunning = false;
bool runs(int i)
{
    return g_allRunning || i % 10 == 0;
}

RemoteTask makeTask(int i, int version)
{
    RemoteTask t;
    // The input is cheap to make, so the figures are the console's: ids formatted by hand,
    // the 20 type names made once.
    static const QStringList types = [] {
        QStringList out;
        for (int k = 0; k < 20; ++k)
            out << QStringLiteral("type-%1").arg(k);
        return out;
    }();
    char id[24];
    std::snprintf(id, sizeof id, "task-%07d", i);
    t.id = QString::fromLatin1(id);
    t.type = types[i % 20];
    // Every update of a running task is a new attempt seen running (as when a service retries
    // by itself): a legal move of the lifecycle each time, with its event.
    t.state = runs(i) ? RemoteState::Running : RemoteState::Succeeded;
    t.attempt = version;
    t.version = version;
    t.createdAtMs = 1'767'225'600'000;
    t.updatedAtMs = 1'767'225'600'000 + version;
    return t;
}

/// The naive path: Qt's own sorting/filtering proxy, dynamic, with the model's fast paths.
class NaiveProxy final : public QSortFilterProxyModel
{
public:
    explicit NaiveProxy(const TaskTableModel &model) : m_model(model) {}
    void setText(const QString &text)
    {
        m_query = m_model.prepareText(text);
        invalidateFilter();
    }

protected:
    bool filterAcceptsRow(int row, const QModelIndex &) const override
    {
        return m_query.matcher.pattern().isEmpty() || m_model.matchesText(row, m_query);
    }
    bool lessThan(const QModelIndex &l, const QModelIndex &r) const override
    {
        return m_model.lessThan(l.row(), r.row(), l.column());
    }

private:
    const TaskTableModel &m_model;
    TaskTableModel::TextQuery m_query;
};

struct Stalls
{
    double p99 = 0, max = 0;
};

// Runs `seconds` of 1000 updates/s (10 batches of 100 per second) and probes the event loop.
Stalls stream(Orchestrator &o, int n, int seconds)
{
    std::vector<double> gaps;
    QElapsedTimer probeClock;
    probeClock.start();
    qint64 last = 0;
    QTimer probe;
    probe.setTimerType(Qt::PreciseTimer);
    QObject::connect(&probe, &QTimer::timeout, [&] {
        const qint64 now = probeClock.nsecsElapsed();
        if (last)
            gaps.push_back(double(now - last) / 1e6);
        last = now;
    });
    probe.start(1);
    int version = 10;
    int next = 0;
    QTimer feeder;
    QObject::connect(&feeder, &QTimer::timeout, [&] {
        QList<RemoteTask> batch;
        for (int k = 0; k < 100; ++k)
            batch << makeTask(g_allRunning ? (next++ * 7919) % n : (next++ * 7919) % (n / 10) * 10,
                              ++version);                // running ones
        o.ingest(QStringLiteral("http://bench"), batch); // its batch signal drives the model
    });
    feeder.start(100);
    QElapsedTimer run;
    run.start();
    while (run.elapsed() < seconds * 1000)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
    feeder.stop();
    probe.stop();
    std::sort(gaps.begin(), gaps.end());
    Stalls s;
    if (!gaps.empty()) {
        s.p99 = gaps[std::min(gaps.size() - 1, std::size_t(double(gaps.size()) * 0.99))];
        s.max = gaps.back();
    }
    return s;
}

double msSince(const QElapsedTimer &t)
{
    return double(t.nsecsElapsed()) / 1e6;
}

/// Chart redraw of a 10 000-point line (replace() and a full paint of the view), the mean of
/// `rounds` redraws: the console's path (ColumnDecimation, 1 px, no antialiasing), every point
/// handed to Qt Charts with the same pen, and the chart defaults (2 px antialiased, every
/// point). `differing`: pixels where the console's image differs from every point's.
struct ChartRedraw
{
    double console = 0, allPoints = 0, defaults = 0;
    int differing = 0, pixels = 0;
    qsizetype handed = 0; ///< points the console hands to Qt Charts
};

ChartRedraw chartRedraw(int points, int rounds)
{
    enum Mode
    {
        Console,
        AllPoints,
        Defaults
    };
    QImage images[2];
    ChartRedraw out;
    const auto measure = [&](Mode mode) {
        auto *chart = new QChart;
        auto *series = new QLineSeries;
        chart->addSeries(series);
        chart->createDefaultAxes();
        chart->axes(Qt::Horizontal).first()->setRange(0, points);
        chart->axes(Qt::Vertical).first()->setRange(-1.5, 1.5);
        QChartView view(chart);
        if (mode != Defaults) {
            QPen pen = series->pen();
            pen.setWidthF(1);
            series->setPen(pen);
        }
        view.setRenderHint(QPainter::Antialiasing, mode == Defaults);
        view.resize(440, 300);
        view.show();
        QCoreApplication::processEvents();
        QImage target(view.size(), QImage::Format_ARGB32_Premultiplied);
        QElapsedTimer t;
        double total = 0;
        for (int r = 0; r < rounds; ++r) {
            QList<QPointF> pts;
            pts.reserve(points);
            for (int i = 0; i < points; ++i)
                pts << QPointF(i, std::sin(i * 0.01 + r) + 0.3 * std::sin(i * 0.37));
            t.restart();
            if (mode == Console) {
                const QRectF plot = chart->plotArea();
                const QList<QPointF> reduced =
                    ColumnDecimation::reduce(pts, 0, points, plot.left(), plot.width());
                out.handed = reduced.size();
                series->replace(reduced);
            } else {
                series->replace(pts);
            }
            static_cast<QWidget &>(view).render(&target);
            total += msSince(t);
        }
        if (mode != Defaults)
            images[mode] = target;
        return total / rounds;
    };
    out.console = measure(Console);
    out.allPoints = measure(AllPoints);
    out.defaults = measure(Defaults);
    out.pixels = int(images[0].width() * images[0].height());
    for (int y = 0; y < images[0].height(); ++y)
        for (int x = 0; x < images[0].width(); ++x)
            out.differing += images[0].pixel(x, y) != images[1].pixel(x, y);
    return out;
}

struct Row
{
    double stallP99 = 0, stallMax = 0, refilter = 0, clear = 0, sortId = 0, sortState = 0;
    int matched = 0;
};

} // namespace

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    Q_INIT_RESOURCE(ui);
    const QStringList args = app.arguments();
    const bool quick = args.contains(QStringLiteral("--quick"));
    int n = quick ? 20'000 : 100'000;
    if (const auto i = args.indexOf(QStringLiteral("--tasks")); i > 0 && i + 1 < args.size())
        n = args.at(i + 1).toInt();
    const bool skipNaive = args.contains(QStringLiteral("--no-naive"));
    g_allRunning = args.contains(QStringLiteral("--all-running"));
    QTemporaryDir dir;
    auto console = std::move(Engine::open({dir.filePath(QStringLiteral("p.json")),
                                           R"({"version":1,"policies":[]})",
                                           dir.filePath(QStringLiteral("h.sqlite"))}))
                       .value();
    Orchestrator &o = *console->orchestrator;
    TaskTableModel model(o, console->clock);
    TaskFilterProxy proxy;
    proxy.setSourceModel(&model);
    QTableView view;
    view.setModel(&proxy);
    view.setSortingEnabled(true);
    view.sortByColumn(TaskTableModel::State, Qt::AscendingOrder); // the console's default
    proxy.setText(QStringLiteral("7"));                           // a filter active throughout
    view.resize(1200, 800);
    view.show();
    const long rss0 = rssMb();
    QElapsedTimer t;
    t.start();
    for (int start = 0; start < n; start += 5000) {
        QList<RemoteTask> batch;
        for (int i = start; i < std::min(n, start + 5000); ++i)
            batch << makeTask(i, 1);
        o.ingest(QStringLiteral("http://bench"), batch);
        QCoreApplication::processEvents();
    }
    while (model.rowCount() < n)
        QCoreApplication::processEvents();
    const double loadMs = msSince(t);
    (void)console->history->flush();
    const long rssLoaded = rssMb();
    if (args.contains(QStringLiteral("--load-only"))) { // for profiling the load
        std::printf("load %d tasks: %.0f ms, %ld MB\n", n, loadMs, rssLoaded);
        return 0;
    }

    const int seconds = quick ? 3 : 10;
    // Warm-up, not measured: the history's first checkpoints after the load land here rather
    // than in whichever measured phase comes first.
    (void)stream(o, n, 2);

    const auto measure = [&](auto &p, int streamSeconds) {
        Row row;
        view.setModel(&p);
        view.sortByColumn(TaskTableModel::State, Qt::AscendingOrder);
        p.setText(QStringLiteral("7"));
        const Stalls s = stream(o, n, streamSeconds);
        row.stallP99 = s.p99;
        row.stallMax = s.max;
        QElapsedTimer c;
        c.start();
        p.setText(QStringLiteral("task-000999"));
        row.refilter = msSince(c);
        row.matched = p.rowCount();
        c.restart();
        p.setText(QString());
        row.clear = msSince(c);
        c.restart();
        p.sort(TaskTableModel::Id);
        row.sortId = msSince(c);
        c.restart();
        p.sort(TaskTableModel::State);
        row.sortState = msSince(c);
        return row;
    };
    const Row fast = measure(proxy, seconds);
    // The state counts after all that streaming, against a count of every row.
    StateCounts counted{};
    for (int r = 0; r < model.rowCount(); ++r)
        ++counted[int(model.stateAt(r))];
    const bool countsCurrent = counted == model.stateCounts();
    Row naive;
    if (!skipNaive) {
        proxy.setSourceModel(nullptr); // it would follow the stream too
        NaiveProxy qsfpm(model);
        qsfpm.setDynamicSortFilter(true);
        qsfpm.setSourceModel(&model);
        naive = measure(qsfpm, quick ? 2 : 4);
        view.setModel(nullptr);
    }
    const long rss = rssMb();
    const ChartRedraw chart = chartRedraw(10'000, quick ? 5 : 20);

    std::printf("| measure (%d tasks, 1 000 updates/s, text filter + sort by state, offscreen) | "
                "TaskFilterProxy (%d s) | naive: dynamic QSortFilterProxyModel (%d s) | ratio |\n"
                "|---|---:|---:|---:|\n",
                n, seconds, quick ? 2 : 4);
    const auto line = [&](const char *what, double a, double b) {
        if (skipNaive)
            std::printf("| %s | %.1f | – | – |\n", what, a);
        else
            std::printf("| %s | %.1f | %.1f | %.2fx |\n", what, a, b, b > 0 ? a / b : 0.0);
    };
    line("UI-thread stall p99 while streaming (ms)", fast.stallP99, naive.stallP99);
    line("UI-thread stall max while streaming (ms)", fast.stallMax, naive.stallMax);
    line("re-filter by text (ms)", fast.refilter, naive.refilter);
    line("clear the filter (ms)", fast.clear, naive.clear);
    line("sort by task id (ms)", fast.sortId, naive.sortId);
    line("sort back by state (ms)", fast.sortState, naive.sortState);
    std::printf("\n| other measure | value |\n|---|---:|\n");
    std::printf("| load %d tasks into model + filtered, sorted view (ms) | %.0f |\n", n, loadMs);
    std::printf("| rows matching the re-filter | %d |\n", fast.matched);
    std::printf("| state counts equal a recount of every row after streaming | %s |\n",
                countsCurrent ? "yes" : "NO");
    std::printf("| resident memory after load (MB; %ld before loading) | %ld |\n", rss0, rssLoaded);
    std::printf("| resident memory at the end (MB) | %ld |\n", rss);
    std::printf("\n| chart redraw, a 10 000-point line, 440x300 (mean ms, replace() + paint) | ms "
                "| ratio to the console |\n|---|---:|---:|\n");
    std::printf("| console: every point read, at most 4 per pixel column handed to Qt Charts "
                "(%lld), 1 px, no antialiasing | %.1f | 1.00x |\n",
                static_cast<long long>(chart.handed), chart.console);
    std::printf("| every point handed to Qt Charts, same pen | %.1f | %.2fx |\n", chart.allPoints,
                chart.allPoints / chart.console);
    std::printf("| chart defaults: every point, 2 px antialiased | %.1f | %.2fx |\n",
                chart.defaults, chart.defaults / chart.console);
    std::printf("| pixels differing between the console's image and every point's | %d of %d "
                "(%.3f%%) | |\n",
                chart.differing, chart.pixels, 100.0 * chart.differing / chart.pixels);
    return 0;
}
