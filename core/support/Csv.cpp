#include "support/Csv.h"

namespace rebound {

bool Csv::isFormulaTrigger(QChar c)
{
    return c == u'=' || c == u'+' || c == u'-' || c == u'@' || c == u'\t' || c == u'\r' ||
           c == u'\n';
}

QByteArray Csv::cell(const QString &value)
{
    // A leading ' is escaped the same way, so that removing one ' always gives the value back
    // (fuzz_csv found "'=x" read back as "=x" before).
    const bool neutralise =
        !value.isEmpty() && (isFormulaTrigger(value.front()) || value.front() == u'\'');
    QByteArray utf8 = value.toUtf8();
    const bool quote = neutralise || utf8.contains(',') || utf8.contains('"') ||
                       utf8.contains('\r') || utf8.contains('\n');
    if (!quote)
        return utf8;
    utf8.replace("\"", "\"\"");
    return '"' + QByteArray(neutralise ? "'" : "") + utf8 + '"';
}

void Csv::appendCell(QByteArray &out, QByteArrayView v)
{
    if (v.isEmpty())
        return;
    const char c0 = v.front();
    const bool neutralise = c0 == '=' || c0 == '+' || c0 == '-' || c0 == '@' || c0 == '\t' ||
                            c0 == '\r' || c0 == '\n' || c0 == '\'';
    bool quote = neutralise;
    for (char c : v) {
        if (c == ',' || c == '"' || c == '\r' || c == '\n') {
            quote = true;
            break;
        }
    }
    if (!quote) {
        out.append(v);
        return;
    }
    out.append('"');
    if (neutralise)
        out.append('\'');
    for (char c : v) {
        if (c == '"')
            out.append('"');
        out.append(c);
    }
    out.append('"');
}

QByteArray Csv::row(const QStringList &cells)
{
    QByteArray out;
    for (qsizetype i = 0; i < cells.size(); ++i) {
        if (i)
            out += ',';
        out += cell(cells[i]);
    }
    return out + "\r\n";
}

QString Csv::unneutralise(const QString &c)
{
    // Exactly one leading ' is the writer's: it goes on every cell that starts with a formula
    // trigger or with ' itself.
    if (!c.isEmpty() && c.front() == u'\'')
        return c.mid(1);
    return c;
}

bool Csv::parse(const QByteArray &text, QList<QStringList> &rows)
{
    rows.clear();
    QStringList row;
    QByteArray field;
    bool quoted = false, inQuotes = false, fieldStarted = false;
    for (qsizetype i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (inQuotes) {
            if (c == '"') {
                if (i + 1 < text.size() && text[i + 1] == '"') {
                    field += '"';
                    ++i;
                } else {
                    inQuotes = false;
                }
            } else {
                field += c;
            }
            continue;
        }
        if (c == '"') {
            if (fieldStarted)
                return false; // a quote inside an unquoted field
            inQuotes = quoted = fieldStarted = true;
        } else if (c == ',') {
            row << QString::fromUtf8(field);
            field.clear();
            quoted = fieldStarted = false;
        } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
            row << QString::fromUtf8(field);
            rows << row;
            row.clear();
            field.clear();
            quoted = fieldStarted = false;
            ++i;
        } else {
            if (quoted)
                return false; // text after a closing quote
            field += c;
            fieldStarted = true;
        }
    }
    if (inQuotes)
        return false;
    if (fieldStarted || !row.isEmpty()) {
        row << QString::fromUtf8(field);
        rows << row;
    }
    return true;
}

} // namespace rebound
