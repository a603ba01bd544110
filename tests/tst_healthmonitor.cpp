#include "guards/HealthMonitor.h"
#include "time/ManualClock.h"

#include <QTest>

using namespace rebound;
using namespace std::chrono_literals;

class TestHealthMonitor final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void formula_data();
    void formula();
    void windowSlides();
    void customWeights();
    void needsMinimumCalls_data();
    void needsMinimumCalls();
};

void TestHealthMonitor::formula_data()
{
    QTest::addColumn<int>("calls");
    QTest::addColumn<int>("failures");
    QTest::addColumn<double>("latencyMs");
    QTest::addColumn<int>("timeouts");
    QTest::addColumn<double>("score");
    QTest::addColumn<bool>("unhealthy");
    // Defaults: 0.6 E + 0.3 L + 0.1 T; E = rate/0.30, L = mean/500 ms, T = (timeouts/min)/5.
    QTest::newRow("idle") << 0 << 0 << 0.0 << 0 << 0.0 << false;
    QTest::newRow("all good") << 100 << 0 << 100.0 << 0 << 0.06 << false;
    QTest::newRow("15% errors") << 100 << 15 << 0.0 << 0 << 0.3 << false;
    QTest::newRow("errors at threshold") << 100 << 30 << 0.0 << 0 << 0.6 << false;
    QTest::newRow("errors over threshold capped") << 100 << 90 << 0.0 << 0 << 0.6 << false;
    QTest::newRow("errors + slow = unhealthy") << 100 << 30 << 500.0 << 0 << 0.9 << true;
    QTest::newRow("at the line") << 100 << 30 << 250.0 << 10 << 0.85 << true;
    QTest::newRow("timeouts only") << 100 << 0 << 0.0 << 5 << 0.1 << false;
    // Below the 10 calls a judgement needs: the score is there, the denial is not.
    QTest::newRow("first slow failure") << 1 << 1 << 600.0 << 0 << 0.9 << false;
    QTest::newRow("9 slow failures") << 9 << 9 << 600.0 << 0 << 0.9 << false;
    QTest::newRow("10 slow failures") << 10 << 10 << 600.0 << 0 << 0.9 << true;
}

void TestHealthMonitor::formula()
{
    QFETCH(int, calls);
    QFETCH(int, failures);
    QFETCH(double, latencyMs);
    QFETCH(int, timeouts);
    QFETCH(double, score);
    QFETCH(bool, unhealthy);
    ManualClock clock;
    HealthMonitor m(HealthConfig{}, clock);
    for (int i = 0; i < calls; ++i)
        m.record(i < failures, Duration(static_cast<std::int64_t>(latencyMs)), i < timeouts);
    const HealthScore s = m.score();
    QCOMPARE(s.calls, calls);
    QVERIFY2(std::abs(s.score - score) < 1e-9, qPrintable(QString::number(s.score)));
    QCOMPARE(s.unhealthy, unhealthy);
    QCOMPARE(
        HealthMonitor::compute(HealthConfig{}, calls, failures, latencyMs * calls, timeouts).score,
        s.score);
}

void TestHealthMonitor::windowSlides()
{
    ManualClock clock;
    HealthMonitor m(HealthConfig{}, clock); // 60 s window in 5 s buckets
    for (int i = 0; i < 10; ++i)
        m.record(true, 1000ms, true);
    QVERIFY(m.score().unhealthy);
    clock.advance(55s);
    QCOMPARE(m.score().calls, 10);
    clock.advance(5s);
    QCOMPARE(m.score().calls, 0);
    QVERIFY(!m.score().unhealthy);
}

void TestHealthMonitor::customWeights()
{
    HealthConfig c;
    c.errorWeight = 1;
    c.latencyWeight = 0;
    c.timeoutWeight = 0;
    c.errorRateThreshold = 0.5;
    c.unhealthyScore = 0.5;
    const HealthScore s = HealthMonitor::compute(c, 10, 3, 0, 0);
    QCOMPARE(s.errorTerm, 0.6);
    QVERIFY(s.unhealthy);
}

void TestHealthMonitor::needsMinimumCalls_data()
{
    QTest::addColumn<int>("minimumCalls");
    QTest::addColumn<int>("firstUnhealthyAt"); // the call after which retries are denied
    QTest::newRow("default 10") << 10 << 10;
    QTest::newRow("1: every call counts") << 1 << 1;
    QTest::newRow("3") << 3 << 3;
}

void TestHealthMonitor::needsMinimumCalls()
{
    // A fresh type whose attempts fail slowly: the first minimumCalls - 1 are not evidence.
    QFETCH(int, minimumCalls);
    QFETCH(int, firstUnhealthyAt);
    ManualClock clock;
    HealthConfig c;
    c.minimumCalls = minimumCalls;
    HealthMonitor m(c, clock);
    for (int call = 1; call <= 12; ++call) {
        m.record(true, Duration(700), false);
        clock.advance(100ms);
        const HealthScore s = m.score();
        QCOMPARE(s.calls, call);
        QCOMPARE(s.minimumCalls, minimumCalls);
        QCOMPARE(s.enoughData(), call >= minimumCalls);
        QCOMPARE(s.unhealthy, call >= firstUnhealthyAt);
        QCOMPARE(s.errorRate, 1.0);
        QCOMPARE(s.meanLatencyMs, 700.0);
    }
    // The window empties (60 s): not enough data again, whatever the score was.
    clock.advance(61s);
    QCOMPARE(m.score().calls, 0);
    QVERIFY(!m.score().unhealthy);
}

QTEST_APPLESS_MAIN(TestHealthMonitor)
#include "tst_healthmonitor.moc"
