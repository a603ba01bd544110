#include "support/Rfc3339.h"

#include <QDateTime>
#include <QRegularExpression>

namespace rebound {

QString Rfc3339::format(std::int64_t ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODateWithMs);
}

void Rfc3339::append(QByteArray &out, std::int64_t ms)
{
    // civil-from-days (Howard Hinnant), then fixed-width digits: no QDateTime, no allocation.
    const std::int64_t days = ms >= 0 ? ms / 86'400'000 : (ms - 86'399'999) / 86'400'000;
    std::int64_t rem = ms - days * 86'400'000;
    std::int64_t z = days + 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2);
    char buf[24] = "0000-00-00T00:00:00.000";
    const auto put = [&buf](int pos, std::int64_t v, int width) {
        for (int i = width - 1; i >= 0; --i, v /= 10)
            buf[pos + i] = static_cast<char>('0' + v % 10);
    };
    put(0, y, 4);
    put(5, m, 2);
    put(8, d, 2);
    put(11, rem / 3'600'000, 2);
    rem %= 3'600'000;
    put(14, rem / 60'000, 2);
    rem %= 60'000;
    put(17, rem / 1000, 2);
    put(20, rem % 1000, 3);
    out.append(buf, 23);
    out.append('Z');
}

std::optional<std::int64_t> Rfc3339::parse(const QString &text)
{
    // Shape first: QDateTime alone accepts forms RFC 3339 does not (no date separators, etc.).
    static const QRegularExpression re(QStringLiteral(
        "^\\d{4}-\\d{2}-\\d{2}[Tt]\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?([Zz]|[+-]\\d{2}:\\d{2})$"));
    if (text.size() > 40 || !re.match(text).hasMatch())
        return std::nullopt;
    QString t = text.toUpper();
    // Qt parses at most millisecond precision: cut longer fractions down to three digits.
    const qsizetype dot = t.indexOf(u'.');
    if (dot >= 0) {
        qsizetype end = dot + 1;
        while (end < t.size() && t[end].isDigit())
            ++end;
        if (end - dot - 1 > 3)
            t.remove(dot + 4, end - dot - 4);
    }
    const QDateTime dt = QDateTime::fromString(t, Qt::ISODateWithMs);
    if (!dt.isValid())
        return std::nullopt;
    return dt.toMSecsSinceEpoch();
}

} // namespace rebound
