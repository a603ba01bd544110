#include "guards/AdaptiveTimeout.h"
#include "time/SeededRandom.h"

#include <QTest>

#include <algorithm>
#include <cmath>
#include <vector>

using namespace rebound;
using namespace std::chrono_literals;

class TestAdaptiveTimeout final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void bucketsAreTight();
    void percentileAccuracy_data();
    void percentileAccuracy();
    void windowForgetsOldSamples();
    void timeoutFollowsP95();
    void slaPresets();
    void fixedMode();
};

void TestAdaptiveTimeout::bucketsAreTight()
{
    // Every value maps into a bucket whose midpoint is within 0.8% (exact below 128 µs).
    for (std::uint64_t v = 0; v < 5'000'000; v = v < 1000 ? v + 1 : v + v / 97) {
        const int b = LatencyHistogram::bucketOf(v);
        QVERIFY(b >= 0 && b < LatencyHistogram::kBucketCount);
        const double mid = static_cast<double>(LatencyHistogram::bucketMidpoint(b));
        if (v < 128)
            QCOMPARE(mid, double(v));
        else
            QVERIFY2(std::abs(mid - double(v)) / double(v) <= 0.008,
                     qPrintable(QString::number(v)));
        if (v > 0)
            QVERIFY(LatencyHistogram::bucketOf(v) >= LatencyHistogram::bucketOf(v - 1)); // monotone
    }
    QVERIFY(LatencyHistogram::bucketOf(~0ULL) < LatencyHistogram::kBucketCount);
}

void TestAdaptiveTimeout::percentileAccuracy_data()
{
    QTest::addColumn<int>("distribution");
    QTest::addColumn<double>("q");
    for (double q : {0.5, 0.9, 0.95, 0.99, 0.999}) {
        QTest::addRow("uniform p%g", q * 100) << 0 << q;
        QTest::addRow("lognormal p%g", q * 100) << 1 << q;
        QTest::addRow("bimodal p%g", q * 100) << 2 << q;
    }
}

void TestAdaptiveTimeout::percentileAccuracy()
{
    QFETCH(int, distribution);
    QFETCH(double, q);
    SeededRandom rng(7);
    constexpr int kWindow = 5000;
    LatencyHistogram h(kWindow);
    std::vector<std::int64_t> all;
    for (int i = 0; i < 20'000; ++i) {
        double us = 0;
        const double u1 = rng.nextUnit(), u2 = rng.nextUnit();
        switch (distribution) {
        case 0:
            us = 1000 + u1 * 200'000;
            break;
        case 1:
            us = std::exp(11.0 + 0.8 * std::sqrt(-2 * std::log(1 - u1)) * std::cos(2 * M_PI * u2));
            break;
        default:
            us = u1 < 0.9 ? 20'000 + u2 * 5000 : 900'000 + u2 * 100'000;
            break;
        }
        const auto sample = static_cast<std::int64_t>(us);
        h.add(std::chrono::microseconds(sample));
        all.push_back(sample);
    }
    QCOMPARE(h.count(), kWindow);
    std::vector<std::int64_t> window(all.end() - kWindow, all.end());
    std::sort(window.begin(), window.end());
    const auto rank = static_cast<std::size_t>(std::ceil(q * kWindow));
    const double exact = static_cast<double>(window[rank - 1]);
    const double got = static_cast<double>(h.percentile(q).count());
    QVERIFY2(std::abs(got - exact) / exact <= 0.01,
             qPrintable(QStringLiteral("exact %1 got %2").arg(exact).arg(got)));
}

void TestAdaptiveTimeout::windowForgetsOldSamples()
{
    LatencyHistogram h(100);
    for (int i = 0; i < 100; ++i)
        h.add(std::chrono::microseconds(1'000'000));
    QCOMPARE(h.percentile(0.95).count(),
             std::int64_t(LatencyHistogram::bucketMidpoint(LatencyHistogram::bucketOf(1'000'000))));
    for (int i = 0; i < 100; ++i)
        h.add(std::chrono::microseconds(100));
    QCOMPARE(h.percentile(0.95).count(), 100);
    QCOMPARE(h.percentile(1.0).count(), 100);
    h.clear();
    QCOMPARE(h.percentile(0.5).count(), 0);
}

void TestAdaptiveTimeout::timeoutFollowsP95()
{
    TimeoutConfig c;
    c.windowSize = 100;
    c.minSamples = 20;
    c.floorMs = 50;
    c.ceilingMs = 10'000;
    c.fixedMs = 3000;
    AdaptiveTimeout t(c);
    QCOMPARE(t.current(), 3000ms); // not enough samples yet
    for (int i = 1; i <= 100; ++i)
        t.record(Duration(i * 10)); // 10 .. 1000 ms; p95 = 950 ms
    // 1.5 x p95, within the histogram's 0.8%
    QVERIFY2(std::abs(t.current().count() - 1425) <= 12,
             qPrintable(QString::number(t.current().count())));
    for (int i = 0; i < 100; ++i)
        t.record(1ms);
    QCOMPARE(t.current(), 50ms); // floor
    for (int i = 0; i < 100; ++i)
        t.record(Duration(60s));
    QCOMPARE(t.current(), 10'000ms); // ceiling
}

void TestAdaptiveTimeout::slaPresets()
{
    TimeoutConfig c;
    c.sla = SlaPreset::A;
    QCOMPARE(c.effective().percentile, 0.9999);
    QCOMPARE(c.effective().ceilingMs, 200);
    c.sla = SlaPreset::B;
    QCOMPARE(c.effective().percentile, 0.999);
    QCOMPARE(c.effective().ceilingMs, 500);
    c.minSamples = 10;
    c.windowSize = 1000;
    AdaptiveTimeout t(c);
    for (int i = 0; i < 999; ++i)
        t.record(100ms);
    t.record(2000ms); // p99.9 of 1000 samples = the 999th = 100 ms
    QVERIFY(std::abs(t.current().count() - 150) <= 2);
    for (int i = 0; i < 10; ++i)
        t.record(400ms);
    QCOMPARE(t.current(), 500ms); // capped at the SLA latency
}

void TestAdaptiveTimeout::fixedMode()
{
    TimeoutConfig c;
    c.mode = TimeoutMode::Fixed;
    c.fixedMs = 777;
    AdaptiveTimeout t(c);
    for (int i = 0; i < 500; ++i)
        t.record(5ms);
    QCOMPARE(t.current(), 777ms);
}

QTEST_APPLESS_MAIN(TestAdaptiveTimeout)
#include "tst_adaptivetimeout.moc"
