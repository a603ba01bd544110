#include "ScriptedRandom.h"
#include "decision/BackoffSequence.h"
#include "time/SeededRandom.h"

#include <QTest>

#include <cmath>

using namespace rebound;

class TestBackoff final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void seededRandomMatchesReference();
    void exactSequences_data();
    void exactSequences();
    void overflowSafeAtTenThousandRetries();
    void nominalDelayDirect();
    void jitterBoundsProperty_data();
    void jitterBoundsProperty();
    void sameSeedSameSchedule();
    void resumeContinuesTheSequence();
    void jitterNames();
};

void TestBackoff::seededRandomMatchesReference()
{
    // Reference values from an independent implementation of SplitMix64 + xoshiro256**.
    SeededRandom rng(1);
    QCOMPARE(rng.nextU64(), 0xb3f2af6d0fc710c5ULL);
    QCOMPARE(rng.nextU64(), 0x853b559647364ceaULL);
    rng.reseed(1);
    QCOMPARE(rng.nextUnit(), 0.7029218331588505);
    QCOMPARE(rng.nextUnit(), 0.5204366199388569);
    QCOMPARE(rng.nextUnit(), 0.5741057000197225);
}

void TestBackoff::exactSequences_data()
{
    QTest::addColumn<int>("mode");
    QTest::addColumn<double>("factor");
    QTest::addColumn<QList<double>>("script");
    QTest::addColumn<QList<double>>("expected");
    // initial 100, multiplier 2, cap 1000: d = 100, 200, 400, 800, 1000, 1000
    QTest::newRow("none") << int(JitterMode::None) << 0.0 << QList<double>{0.3}
                          << QList<double>{100, 200, 400, 800, 1000, 1000};
    QTest::newRow("full") << int(JitterMode::Full) << 0.0 << QList<double>{0.5, 0.25}
                          << QList<double>{50, 50, 200, 200, 500, 250};
    QTest::newRow("full-edges") << int(JitterMode::Full) << 0.0 << QList<double>{0.0}
                                << QList<double>{0, 0, 0, 0, 0, 0};
    QTest::newRow("equal") << int(JitterMode::Equal) << 0.0 << QList<double>{0.5, 0.0}
                           << QList<double>{75, 100, 300, 400, 750, 500};
    // s_r = min(cap, U[100, 3 s_(r-1)]), s_0 = 100
    QTest::newRow("decorrelated") << int(JitterMode::Decorrelated) << 0.0 << QList<double>{0.5}
                                  << QList<double>{200, 350, 575, 912.5, 1000, 1000};
    QTest::newRow("decorrelated-low") << int(JitterMode::Decorrelated) << 0.0 << QList<double>{0.0}
                                      << QList<double>{100, 100, 100, 100, 100, 100};
    // d (1 +- f), f = 0.5: U[0.5 d, 1.5 d]
    QTest::newRow("proportional") << int(JitterMode::Proportional) << 0.5
                                  << QList<double>{0.0, 0.5, 0.75}
                                  << QList<double>{50, 200, 500, 400, 1000, 1250};
    QTest::newRow("proportional-f0") << int(JitterMode::Proportional) << 0.0 << QList<double>{0.9}
                                     << QList<double>{100, 200, 400, 800, 1000, 1000};
}

void TestBackoff::exactSequences()
{
    QFETCH(int, mode);
    QFETCH(double, factor);
    QFETCH(QList<double>, script);
    QFETCH(QList<double>, expected);
    BackoffConfig c;
    c.initialDelayMs = 100;
    c.multiplier = 2;
    c.maxDelayMs = 1000;
    c.jitter = static_cast<JitterMode>(mode);
    c.randomizationFactor = factor;
    ScriptedRandom rng(std::vector<double>(script.begin(), script.end()));
    BackoffSequence seq(c);
    const double nominal[] = {100, 200, 400, 800, 1000, 1000};
    for (int i = 0; i < expected.size(); ++i) {
        const BackoffDelay d = seq.next(rng);
        QCOMPARE(d.retry, i + 1);
        QCOMPARE(d.nominalMs, nominal[i]);
        QCOMPARE(d.delayMs, expected.at(i));
    }
    // An empty range (no jitter, or f = 0) draws nothing.
    const bool draws =
        mode != int(JitterMode::None) && !(mode == int(JitterMode::Proportional) && factor == 0);
    QCOMPARE(rng.draws(), draws ? int(expected.size()) : 0);
}

void TestBackoff::overflowSafeAtTenThousandRetries()
{
    BackoffConfig c;
    c.initialDelayMs = 1;
    c.multiplier = 1000;
    c.maxDelayMs = 60'000;
    c.jitter = JitterMode::Full;
    SeededRandom rng(42);
    BackoffSequence seq(c);
    BackoffDelay last;
    for (int r = 1; r <= 10'000; ++r) {
        last = seq.next(rng);
        QVERIFY(std::isfinite(last.delayMs));
        QVERIFY(last.delayMs >= 0 && last.delayMs <= 60'000);
    }
    QCOMPARE(last.retry, 10'000);
    QCOMPARE(last.nominalMs, 60'000.0);
    QCOMPARE(BackoffSequence::nominalDelay(c, 10'000), 60'000.0);
    QCOMPARE(BackoffSequence::nominalDelay(c, std::numeric_limits<int>::max()), 60'000.0);
}

void TestBackoff::nominalDelayDirect()
{
    BackoffConfig c;
    c.initialDelayMs = 100;
    c.multiplier = 3;
    c.maxDelayMs = 5000;
    QCOMPARE(BackoffSequence::nominalDelay(c, 1), 100.0);
    QCOMPARE(BackoffSequence::nominalDelay(c, 2), 300.0);
    QCOMPARE(BackoffSequence::nominalDelay(c, 4), 2700.0);
    QCOMPARE(BackoffSequence::nominalDelay(c, 5), 5000.0);
    c.multiplier = 1;
    QCOMPARE(BackoffSequence::nominalDelay(c, 10'000), 100.0);
}

void TestBackoff::jitterBoundsProperty_data()
{
    QTest::addColumn<int>("mode");
    for (const JitterStrategy &s : JitterStrategy::all())
        QTest::newRow(s.name) << int(s.mode);
    QCOMPARE(JitterStrategy::all().size(), std::size_t(5)); // a new mode: add its case below
}

void TestBackoff::jitterBoundsProperty()
{
    QFETCH(int, mode);
    BackoffConfig c;
    c.initialDelayMs = 100;
    c.multiplier = 2;
    c.maxDelayMs = 3000;
    c.maxAttempts = 9;
    c.jitter = static_cast<JitterMode>(mode);
    c.randomizationFactor = 0.3;
    SeededRandom rng(2024);
    BackoffSequence seq(c);
    constexpr int kSamples = 12'000;
    double sumRatio = 0; // delay / nominal, for a loose check of the mean
    int n = 0;
    double lo = 1e300, hi = -1;
    for (int s = 0; s < kSamples; ++s) {
        seq.reset(c);
        double prev = c.initialDelayMs;
        for (int r = 1; r < c.maxAttempts; ++r) {
            const BackoffDelay d = seq.next(rng);
            const double nominal =
                std::min(c.maxDelayMs, c.initialDelayMs * std::pow(c.multiplier, r - 1));
            QCOMPARE(d.nominalMs, nominal);
            // The band the editor draws is where the draws fall.
            const JitterBand band = JitterStrategy::of(c.jitter).band(
                {nominal, prev, c.initialDelayMs, c.maxDelayMs, c.randomizationFactor});
            QVERIFY(d.delayMs >= band.lowMs - 1e-9 && d.delayMs <= band.highMs + 1e-9);
            switch (c.jitter) {
            case JitterMode::None:
                QCOMPARE(d.delayMs, nominal);
                break;
            case JitterMode::Full:
                QVERIFY(d.delayMs >= 0 && d.delayMs <= nominal);
                break;
            case JitterMode::Equal:
                QVERIFY(d.delayMs >= nominal / 2 && d.delayMs <= nominal);
                break;
            case JitterMode::Decorrelated:
                QVERIFY(d.delayMs >= c.initialDelayMs);
                QVERIFY(d.delayMs <= std::min(c.maxDelayMs, 3 * prev));
                break;
            case JitterMode::Proportional:
                QVERIFY(d.delayMs >= nominal * 0.7 - 1e-9 && d.delayMs <= nominal * 1.3 + 1e-9);
                break;
            }
            prev = d.delayMs;
            sumRatio += d.delayMs / nominal;
            lo = std::min(lo, d.delayMs / nominal);
            hi = std::max(hi, d.delayMs / nominal);
            ++n;
        }
    }
    const double mean = sumRatio / n;
    // The uniform draws must actually spread over their ranges, with the expected mean.
    switch (c.jitter) {
    case JitterMode::None:
        QCOMPARE(mean, 1.0);
        break;
    case JitterMode::Full:
        QVERIFY2(std::abs(mean - 0.5) < 0.01, qPrintable(QString::number(mean)));
        QVERIFY(lo < 0.001 && hi > 0.999);
        break;
    case JitterMode::Equal:
        QVERIFY2(std::abs(mean - 0.75) < 0.01, qPrintable(QString::number(mean)));
        QVERIFY(lo < 0.501 && hi > 0.999);
        break;
    case JitterMode::Proportional:
        QVERIFY2(std::abs(mean - 1.0) < 0.01, qPrintable(QString::number(mean)));
        QVERIFY(lo < 0.701 && hi > 1.299);
        break;
    case JitterMode::Decorrelated:
        QVERIFY(hi > 1.0 && lo < 1.0);
        break;
    }
}

void TestBackoff::sameSeedSameSchedule()
{
    BackoffConfig c;
    c.jitter = JitterMode::Decorrelated;
    SeededRandom a(99), b(99), other(100);
    BackoffSequence sa(c), sb(c), so(c);
    bool differs = false;
    for (int r = 0; r < 50; ++r) {
        const double x = sa.next(a).delayMs;
        QCOMPARE(sb.next(b).delayMs, x);
        differs = differs || so.next(other).delayMs != x;
    }
    QVERIFY(differs);
}

void TestBackoff::resumeContinuesTheSequence()
{
    BackoffConfig c;
    c.initialDelayMs = 100;
    c.multiplier = 2;
    c.maxDelayMs = 100'000;
    c.jitter = JitterMode::None;
    ScriptedRandom rng({0.5});
    BackoffSequence seq(c);
    seq.resumeAt(4, 0);
    QCOMPARE(seq.nextRetry(), 4);
    const BackoffDelay d = seq.next(rng);
    QCOMPARE(d.retry, 4);
    QCOMPARE(d.delayMs, 800.0);
    QCOMPARE(seq.next(rng).delayMs, 1600.0);
}

void TestBackoff::jitterNames()
{
    QCOMPARE(JitterStrategy::names(),
             QStringList({"none", "full", "equal", "decorrelated", "proportional"}));
    for (const JitterStrategy &s : JitterStrategy::all())
        QCOMPARE(jitterModeFromString(toText(s.mode)), std::optional<JitterMode>(s.mode));
    QCOMPARE(jitterModeFromString(QStringLiteral("FULL")), std::nullopt);
}

QTEST_APPLESS_MAIN(TestBackoff)
#include "tst_backoff.moc"
