#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QStringList>

namespace rebound {

/// RFC 4180 CSV: comma, CRLF, fields with comma, quote, CR or LF quoted and quotes doubled,
/// UTF-8. Cells that a spreadsheet would run as a formula (starting with =, +, -, @, tab, CR or
/// LF; OWASP's list) are neutralised with a leading ' and quoted; a cell that itself starts with '
/// gets one more, so that removing one leading ' always restores the value.
class Csv final
{
public:
    static QByteArray cell(const QString &value);
    static QByteArray row(const QStringList &cells); ///< with the trailing CRLF
    /// Appends one cell given as UTF-8 (the export's hot path: no UTF-16 round trip).
    static void appendCell(QByteArray &out, QByteArrayView utf8);
    /// Parses RFC 4180 text into rows (for tests and round trips). Returns false on a stray
    /// quote or an unterminated quoted field.
    static bool parse(const QByteArray &text, QList<QStringList> &rows);
    /// Removes the neutralising quote that cell() added.
    static QString unneutralise(const QString &cell);
    static bool isFormulaTrigger(QChar c);
};

} // namespace rebound
