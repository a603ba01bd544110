// The Charts dock's parts: RetrySamples counts each attempt and decision once into its 10 s
// bucket; each chart draws exactly the points its samples hold over the window; the pane lists
// its charts and a tile per type. A real engine fed by ingest() on a manual clock gives the
// rates chart its breakers.
#include "BreakerTiles.h"
#include "ChartsPane.h"
#include "LatencyChart.h"
#include "ManualEngine.h"
#include "PressureChart.h"
#include "RatesChart.h"
#include "RetrySamples.h"
#include "TypeColors.h"
#include "engine/Orchestrator.h"
#include "engine/TaskRow.h"

#include <QChart>
#include <QChartView>
#include <QLabel>
#include <QLineSeries>
#include <QSet>
#include <QTest>

using namespace rebound;

namespace {

const QString kEndpoint = QStringLiteral("http://charts.test");
// A breaker judged after two calls (it opens at 60 % failures); retries far enough away that the
// clock never reaches them.
const QByteArray kPolicy =
    R"({"version":1,"policies":[{"name":"p","backoff":{"initialDelayMs":10000,"maxDelayMs":10000,)"
    R"("maxAttempts":3,"jitter":"none"},"breaker":{"windowType":"count","windowSize":4,)"
    R"("minimumNumberOfCalls":2,"failureRateThreshold":60,"slowCallRateThreshold":80},)"
    R"("health":{"unhealthyScore":100},"budget":{"budgetPercent":0,"maxTokens":0,"ratePerSecond":0}}]})";

TaskRow row(const QString &key, int attempt, AttemptOutcome outcome, int durationMs,
            std::int64_t endedAtMs)
{
    TaskRow r;
    r.key = key;
    r.remote.id = key;
    r.remote.attempt = attempt;
    r.remote.updatedAtMs = endedAtMs;
    RemoteAttempt a;
    a.number = attempt;
    a.outcome = outcome;
    a.durationMs = durationMs;
    a.endedAtMs = endedAtMs;
    r.remote.lastAttempt = a;
    return r;
}

TaskRow withRetry(TaskRow r, Duration delay, SteadyTime decidedAt, bool foreign = false)
{
    RetryPlan plan;
    plan.delay = delay;
    r.decision = RetryDecision(plan);
    r.decidedAt = decidedAt;
    r.foreignDecision = foreign;
    return r;
}

QLineSeries *series(const ChartPanel &panel, const QString &name)
{
    for (QAbstractSeries *s : panel.view()->chart()->series())
        if (s->name() == name)
            return static_cast<QLineSeries *>(s);
    return nullptr;
}

} // namespace

class TestCharts final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void samplesCountEachAttemptAndDecisionOnce();
    void percentileIsTheNearestRank_data();
    void percentileIsTheNearestRank();
    void latencyAndPressureDrawTheirBuckets();
    void ratesFollowEachTypesBreaker();
    void typesHaveTheirOwnColours();

private:
    /// Two attempts in the first bucket (one retried after 2 s) and the budget sampled, the
    /// success in the next.
    void fill(RetrySamples &samples);
};

void TestCharts::fill(RetrySamples &samples)
{
    const TaskRow failed =
        withRetry(row(QStringLiteral("k1"), 1, AttemptOutcome::Failed, 200, 101'000),
                  Duration(2000), SteadyTime(Duration(7)));
    samples.record({failed}, 101'500);
    // The same row again (a re-read, a push and a poll): nothing counts twice.
    samples.record({failed}, 102'000);
    // Another member's decision is not this console's retry.
    samples.record({withRetry(row(QStringLiteral("k2"), 1, AttemptOutcome::Failed, 600, 103'000),
                              Duration(9000), SteadyTime(Duration(8)), true)},
                   103'500);
    samples.sampleBudget(4, 104'000);
    samples.record({row(QStringLiteral("k1"), 2, AttemptOutcome::Succeeded, 400, 113'000)},
                   113'500);
}

void TestCharts::samplesCountEachAttemptAndDecisionOnce()
{
    RetrySamples samples;
    fill(samples);
    QCOMPARE(samples.buckets().size(), std::size_t(2));
    const RetrySamples::Bucket &first = samples.buckets().front();
    QCOMPARE(first.start, std::int64_t(100'000));
    QCOMPARE(first.durations, (std::vector<double>{0.2, 0.6}));
    QCOMPARE(first.delays, (std::vector<double>{2.0}));
    QCOMPARE(first.retries, 1);
    QCOMPARE(first.budget, 4);
    QVERIFY(first.recoveries.empty());
    const RetrySamples::Bucket &second = samples.buckets().back();
    QCOMPARE(second.start, std::int64_t(110'000));
    QCOMPARE(second.durations, (std::vector<double>{0.4}));
    // From k1's first failure (101.0 s) to its success (113.0 s).
    QCOMPARE(second.recoveries, (std::vector<double>{12.0}));
    QCOMPARE(second.retries, 0);
}

void TestCharts::percentileIsTheNearestRank_data()
{
    QTest::addColumn<std::vector<double>>("values");
    QTest::addColumn<double>("q");
    QTest::addColumn<double>("expected");
    QTest::newRow("empty") << std::vector<double>{} << 0.5 << 0.0;
    QTest::newRow("one") << std::vector<double>{3} << 0.95 << 3.0;
    QTest::newRow("p50 of 4") << std::vector<double>{4, 1, 3, 2} << 0.5 << 2.0;
    QTest::newRow("p95 of 20") << std::vector<double>{20, 19, 18, 17, 16, 15, 14, 13, 12, 11,
                                                      10, 9,  8,  7,  6,  5,  4,  3,  2,  1}
                               << 0.95 << 19.0;
    QTest::newRow("p0") << std::vector<double>{5, 7} << 0.0 << 5.0;
}

void TestCharts::percentileIsTheNearestRank()
{
    QFETCH(std::vector<double>, values);
    QFETCH(double, q);
    QFETCH(double, expected);
    QCOMPARE(RetrySamples::percentile(values, q), expected);
}

void TestCharts::latencyAndPressureDrawTheirBuckets()
{
    RetrySamples samples;
    fill(samples);
    QWidget parent;
    LatencyChart latency(samples, &parent);
    PressureChart pressure(samples, &parent);
    latency.policyApplied(110'000, 3);
    const ChartPanel::Window window{120'000, 1};
    latency.draw(window);
    pressure.draw(window);
    // Each bucket at its middle, in minutes before now: 105 s -> -0.25, 115 s -> -1/12.
    const QList<QPointF> p50 = series(latency, QStringLiteral("p50"))->points();
    QCOMPARE(p50, (QList<QPointF>{{-0.25, 0.2}, {-5.0 / 60, 0.4}}));
    QCOMPARE(series(latency, QStringLiteral("p95"))->points(),
             (QList<QPointF>{{-0.25, 0.6}, {-5.0 / 60, 0.4}}));
    QCOMPARE(series(latency, QStringLiteral("backoff"))->points(), (QList<QPointF>{{-0.25, 2.0}}));
    QCOMPARE(series(latency, QStringLiteral("recovery"))->points(),
             (QList<QPointF>{{-5.0 / 60, 12.0}}));
    // The policy marker: a vertical line at its time, up to the top of the axis.
    const QList<QPointF> mark = series(latency, QStringLiteral("policy"))->points();
    QCOMPARE(mark, (QList<QPointF>{{-1.0 / 6, 0}, {-1.0 / 6, 12.0 * 1.1}}));
    QCOMPARE(series(pressure, QStringLiteral("retries/s"))->points(),
             (QList<QPointF>{{-0.25, 0.1}, {-5.0 / 60, 0.0}}));
    QCOMPARE(series(pressure, QStringLiteral("budget allows (right)"))->points(),
             (QList<QPointF>{{-0.25, 4.0}, {-5.0 / 60, 0.0}}));
    // A window of a minute leaves out what is older.
    latency.draw({200'000, 1});
    QVERIFY(series(latency, QStringLiteral("p50"))->points().isEmpty());
}

void TestCharts::ratesFollowEachTypesBreaker()
{
    Q_INIT_RESOURCE(ui);
    ManualEngine m(kPolicy);
    Orchestrator &engine = m.orchestrator();
    ManualClock &clock = m.clock;
    QList<RemoteTask> tasks;
    for (int i = 0; i < 2; ++i) {
        RemoteTask t;
        t.id = QStringLiteral("t%1").arg(i);
        t.type = QStringLiteral("pdf.render");
        t.state = i == 0 ? RemoteState::Failed : RemoteState::Succeeded;
        t.attempt = 1;
        t.version = 1;
        t.updatedAtMs = clock.wallNowMs();
        RemoteAttempt a;
        a.number = 1;
        a.outcome = i == 0 ? AttemptOutcome::Failed : AttemptOutcome::Succeeded;
        a.httpStatus = i == 0 ? 503 : 200;
        a.startedAtMs = t.updatedAtMs - 10;
        a.endedAtMs = t.updatedAtMs;
        a.durationMs = 10;
        t.lastAttempt = a;
        tasks << t;
    }
    engine.ingest(kEndpoint, tasks);
    clock.advance(Duration(0));
    QWidget parent;
    RatesChart rates(engine, &parent);
    BreakerTiles tiles(engine, &parent);
    rates.sample(clock.wallNowMs());
    rates.draw({clock.wallNowMs(), 1});
    // Two calls, one failed: 50 %, under the policy's 60 % line.
    QCOMPARE(series(rates, QStringLiteral("pdf.render failure rate"))->points(),
             (QList<QPointF>{{0, 50}}));
    QCOMPARE(series(rates, QStringLiteral("pdf.render slow-call rate"))->points(),
             (QList<QPointF>{{0, 0}}));
    QCOMPARE(series(rates, QStringLiteral("the breaker opens at 60% failures"))->points(),
             (QList<QPointF>{{-1, 60}, {0, 60}}));
    QVERIFY(series(rates, QStringLiteral("the breaker opens at 80% slow calls")));
    // The type's own colour, in its lines and its tile.
    QCOMPARE(series(rates, QStringLiteral("pdf.render failure rate"))->pen().color(),
             TypeColors::of(QStringLiteral("pdf.render")));
    QCOMPARE(series(rates, QStringLiteral("pdf.render slow-call rate"))->pen().color(),
             TypeColors::of(QStringLiteral("pdf.render")));
    tiles.refresh();
    auto *tile = tiles.findChild<QLabel *>(QStringLiteral("breakerTile.pdf.render"));
    QVERIFY(tile);
    QVERIFY2(tile->text().startsWith(QStringLiteral("pdf.render\n")), qPrintable(tile->text()));
    QVERIFY2(tile->toolTip().contains(QStringLiteral("failure rate 50%")),
             qPrintable(tile->toolTip()));
    QVERIFY(tile->styleSheet().contains(TypeColors::of(QStringLiteral("pdf.render")).name()));
    // Why it is stuck: how many of its tasks wait, and for what.
    QList<TaskRow> waiting;
    for (int i = 0; i < 3; ++i) {
        TaskRow r;
        r.key = QStringLiteral("k%1").arg(i);
        r.remote.type = QStringLiteral("pdf.render");
        r.condition.state = TaskState::Deferred;
        r.condition.deferReason = i < 2 ? DeferReason::BreakerOpen : DeferReason::Unhealthy;
        waiting << r;
    }
    tiles.rows(waiting);
    QCOMPARE(tiles.waitingText(QStringLiteral("pdf.render")),
             QStringLiteral("3 waiting: 2 breaker · 1 unhealthy"));
    waiting[0].condition = TaskCondition{TaskState::Running, {}, {}, {}}; // it runs again
    tiles.rows({waiting[0]});
    QCOMPARE(tiles.waitingText(QStringLiteral("pdf.render")),
             QStringLiteral("2 waiting: 1 breaker · 1 unhealthy"));
    QCOMPARE(tiles.waitingText(QStringLiteral("sms.send")), QString());
    tiles.forget({QStringLiteral("k1")}); // its endpoint removed
    QCOMPARE(tiles.waitingText(QStringLiteral("pdf.render")),
             QStringLiteral("1 waiting: 1 unhealthy"));
    tiles.refresh();
    QVERIFY2(tile->text().endsWith(QStringLiteral("\n1 waiting: 1 unhealthy")),
             qPrintable(tile->text()));
    // The pane: its three charts and the tiles, by name.
    ChartsPane pane(engine, clock);
    QCOMPARE(pane.findChildren<QChartView *>().size(), 3);
    QVERIFY(pane.findChild<BreakerTiles *>(QStringLiteral("breakerTiles")));
}

void TestCharts::typesHaveTheirOwnColours()
{
    // pdf.render has its colour already (the test above): nine more types, ten colours.
    QSet<QRgb> seen{TypeColors::of(QStringLiteral("pdf.render")).rgb()};
    for (int i = 0; i < 9; ++i)
        seen.insert(TypeColors::of(QStringLiteral("colour.type%1").arg(i)).rgb());
    QCOMPARE(seen.size(), 10);
}

QTEST_MAIN(TestCharts)
#include "tst_charts.moc"
