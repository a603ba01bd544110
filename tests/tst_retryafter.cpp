#include "decision/RetryAfter.h"
#include "support/HttpDate.h"

#include <QDateTime>
#include <QTest>

using namespace rebound;

class TestRetryAfter final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parse_data();
    void parse();
    void httpDateFormats_data();
    void httpDateFormats();
    void formatRoundTrip();
};

namespace {
// 1994-11-06T08:49:37Z, the RFC's example date.
const std::int64_t kRfcExample =
    QDateTime(QDate(1994, 11, 6), QTime(8, 49, 37), Qt::UTC).toMSecsSinceEpoch();
} // namespace

void TestRetryAfter::parse_data()
{
    QTest::addColumn<QByteArray>("value");
    QTest::addColumn<qint64>("nowMs");
    QTest::addColumn<qint64>("expectedMs"); // -1: nullopt

    const qint64 now = kRfcExample - 120'000; // two minutes before the example date
    QTest::newRow("seconds") << QByteArray("120") << now << qint64(120'000);
    QTest::newRow("zero") << QByteArray("0") << now << qint64(0);
    QTest::newRow("ows") << QByteArray("  7 \t") << now << qint64(7000);
    QTest::newRow("leading zeros") << QByteArray("007") << now << qint64(7000);
    QTest::newRow("huge saturates") << QByteArray("999999999999999999999999") << now
                                    << qint64(std::numeric_limits<qint64>::max() / 1000 * 1000);
    QTest::newRow("imf-fixdate") << QByteArray("Sun, 06 Nov 1994 08:49:37 GMT") << now
                                 << qint64(120'000);
    QTest::newRow("rfc850") << QByteArray("Sunday, 06-Nov-94 08:49:37 GMT") << now
                            << qint64(120'000);
    QTest::newRow("asctime") << QByteArray("Sun Nov  6 08:49:37 1994") << now << qint64(120'000);
    QTest::newRow("date in past") << QByteArray("Sun, 06 Nov 1994 08:49:37 GMT")
                                  << qint64(kRfcExample + 5000) << qint64(0);
    QTest::newRow("date now") << QByteArray("Sun, 06 Nov 1994 08:49:37 GMT") << qint64(kRfcExample)
                              << qint64(0);
    // garbage
    QTest::newRow("empty") << QByteArray("") << now << qint64(-1);
    QTest::newRow("blank") << QByteArray("   ") << now << qint64(-1);
    QTest::newRow("negative") << QByteArray("-5") << now << qint64(-1);
    QTest::newRow("fraction") << QByteArray("1.5") << now << qint64(-1);
    QTest::newRow("plus") << QByteArray("+5") << now << qint64(-1);
    QTest::newRow("trailing junk") << QByteArray("12abc") << now << qint64(-1);
    QTest::newRow("hex") << QByteArray("0x10") << now << qint64(-1);
    QTest::newRow("words") << QByteArray("soon") << now << qint64(-1);
    QTest::newRow("bad month") << QByteArray("Sun, 06 Foo 1994 08:49:37 GMT") << now << qint64(-1);
    QTest::newRow("feb 30") << QByteArray("Sun, 30 Feb 1994 08:49:37 GMT") << now << qint64(-1);
    QTest::newRow("hour 24") << QByteArray("Sun, 06 Nov 1994 24:00:00 GMT") << now << qint64(-1);
    QTest::newRow("no GMT") << QByteArray("Sun, 06 Nov 1994 08:49:37") << now << qint64(-1);
    QTest::newRow("UTC not GMT") << QByteArray("Sun, 06 Nov 1994 08:49:37 UTC") << now
                                 << qint64(-1);
    QTest::newRow("truncated") << QByteArray("Sun, 06 Nov 19") << now << qint64(-1);
    QTest::newRow("trailing") << QByteArray("Sun, 06 Nov 1994 08:49:37 GMTx") << now << qint64(-1);
    QTest::newRow("nul") << QByteArray("12\0", 3) << now << qint64(-1);
}

void TestRetryAfter::parse()
{
    QFETCH(QByteArray, value);
    QFETCH(qint64, nowMs);
    QFETCH(qint64, expectedMs);
    const auto d = RetryAfter::parse(value, nowMs);
    if (expectedMs < 0) {
        QVERIFY2(!d.has_value(), qPrintable(QString::number(d ? d->count() : 0)));
    } else {
        QVERIFY(d.has_value());
        QCOMPARE(d->count(), expectedMs);
    }
}

void TestRetryAfter::httpDateFormats_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QDateTime>("now");
    QTest::addColumn<QDateTime>("expected");
    const QDateTime now2026(QDate(2026, 11, 26), QTime(12, 0), Qt::UTC);
    QTest::newRow("leap day") << QByteArray("Thu, 29 Feb 2024 23:59:59 GMT") << now2026
                              << QDateTime(QDate(2024, 2, 29), QTime(23, 59, 59), Qt::UTC);
    QTest::newRow("epoch") << QByteArray("Thu, 01 Jan 1970 00:00:00 GMT") << now2026
                           << QDateTime(QDate(1970, 1, 1), QTime(0, 0), Qt::UTC);
    QTest::newRow("leap second clamps")
        << QByteArray("Sat, 31 Dec 2016 23:59:60 GMT") << now2026
        << QDateTime(QDate(2016, 12, 31), QTime(23, 59, 59), Qt::UTC);
    // RFC 850 two-digit years: more than 50 years ahead means the previous century.
    QTest::newRow("rfc850 near") << QByteArray("Friday, 01-Jan-27 00:00:00 GMT") << now2026
                                 << QDateTime(QDate(2027, 1, 1), QTime(0, 0), Qt::UTC);
    QTest::newRow("rfc850 far") << QByteArray("Friday, 01-Jan-99 00:00:00 GMT") << now2026
                                << QDateTime(QDate(1999, 1, 1), QTime(0, 0), Qt::UTC);
    QTest::newRow("asctime 2-digit day") << QByteArray("Wed Nov 25 10:00:00 2026") << now2026
                                         << QDateTime(QDate(2026, 11, 25), QTime(10, 0), Qt::UTC);
}

void TestRetryAfter::httpDateFormats()
{
    QFETCH(QByteArray, text);
    QFETCH(QDateTime, now);
    QFETCH(QDateTime, expected);
    const auto ms = HttpDate::parse(text, now.toMSecsSinceEpoch());
    QVERIFY(ms.has_value());
    QCOMPARE(*ms, expected.toMSecsSinceEpoch());
}

void TestRetryAfter::formatRoundTrip()
{
    QCOMPARE(HttpDate::format(kRfcExample), QByteArray("Sun, 06 Nov 1994 08:49:37 GMT"));
    // Every day for ~30 years, at a shifting time of day, formats and parses back.
    for (std::int64_t ms = 0; ms < 30LL * 365 * 86'400'000; ms += 86'400'000 + 3'723'000) {
        const QByteArray s = HttpDate::format(ms);
        const auto back = HttpDate::parse(s, ms);
        QVERIFY2(back.has_value(), s.constData());
        QCOMPARE(*back, ms / 1000 * 1000);
        QCOMPARE(s, QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC)
                        .toString(QStringLiteral("ddd, dd MMM yyyy hh:mm:ss 'GMT'"))
                        .toLatin1());
    }
}

QTEST_APPLESS_MAIN(TestRetryAfter)
#include "tst_retryafter.moc"
