#include "Rfc3339.h"

#include <QDateTime>
#include <QRegularExpression>

namespace rebound {

QString Rfc3339::format(std::int64_t ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODateWithMs);
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
