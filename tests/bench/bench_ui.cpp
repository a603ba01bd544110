// UI benchmark (issues 4 and 11): N tasks (100 000 by default, `--tasks 1000000` for a day of a
// busy fleet) in the model, 1 000 task updates per second flowing in, a real QTableView over the
// proxy with a text filter and the console's default sort active. Measures the UI thread's
// stalls with a probe timer, load, re-filter, clearing, sorting, the state counts and resident
// memory — for Rebound's TaskFilterProxy and, in the same run, the naive path: a
// QSortFilterProxyModel sorting and filtering dynamically over the same model with the same
// fast comparisons.
#include "Engine.h"
#include "TaskFilterProxy.h"
#include "TaskTableModel.h"

#include <QApplication>
#include <QChart>
#include <QChartView>
#include <QImage>
#include <QLineSeries>
#include <QValueAxis>
#include <QElapsedTimer>
#include <QFile>
#include <QHeaderView>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QTemporaryDir>
#include <QTimer>

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
    t.id = QStringLiteral("task-%1").arg(i, 7, 10, QLatin1Char('0'));
    t.type = QStringLiteral("type-%1").arg(i % 20);
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

/// Chart redraw with 10 000 points actually drawn (replace() and a full paint of the view), in
/// the console's chart settings (1 px pen, antialiasing off for series this dense) against the
/// chart defaults (2 px antialiased pen) — the mean of `rounds` redraws each.
std::pair<double, double> chartRedraw(int points, int rounds)
{
    const auto measure = [points, rounds](bool tuned) {
        auto *chart = new QChart;
        auto *series = new QLineSeries;
        chart->addSeries(series);
        chart->createDefaultAxes();
        chart->axes(Qt::Horizontal).first()->setRange(0, points);
        chart->axes(Qt::Vertical).first()->setRange(-1.5, 1.5);
        QChartView view(chart);
        if (tuned) {
            QPen pen = series->pen();
            pen.setWidthF(1);
            series->setPen(pen);
        }
        view.setRenderHint(QPainter::Antialiasing, !tuned);
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
            series->replace(pts);
            static_cast<QWidget &>(view).render(&target); // every point drawn
            total += msSince(t);
        }
        return total / rounds;
    };
    return {measure(true), measure(false)};
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
    const auto [chartReplace, chartAppend] = chartRedraw(10'000, quick ? 5 : 20);

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
    std::printf("\n| chart redraw, 10 000 points drawn (mean ms, replace() + paint) | console: 1 px, "
                "no antialiasing | chart defaults: 2 px antialiased | ratio |\n"
                "|---|---:|---:|---:|\n");
    std::printf("| 440x300 line chart | %.1f | %.1f | %.2fx |\n", chartReplace, chartAppend,
                chartReplace / chartAppend);
    return 0;
}
