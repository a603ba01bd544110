#include "policy/JsonTextEdit.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace rebound {

namespace {

class Scanner
{
public:
    explicit Scanner(const QByteArray &t) : m_t(t) {}

    qsizetype skipWs(qsizetype i) const
    {
        while (i < m_t.size() && (m_t[i] == ' ' || m_t[i] == '\t' || m_t[i] == '\n' ||
                                  m_t[i] == '\r'))
            ++i;
        return i;
    }
    /// From an opening quote to just past the closing one; -1 when unterminated.
    qsizetype string(qsizetype i) const
    {
        for (++i; i < m_t.size(); ++i) {
            if (m_t[i] == '\\')
                ++i;
            else if (m_t[i] == '"')
                return i + 1;
        }
        return -1;
    }
    /// Just past the value that starts at i; -1 when it does not end.
    qsizetype value(qsizetype i) const
    {
        if (i >= m_t.size())
            return -1;
        if (m_t[i] == '"')
            return string(i);
        if (m_t[i] == '{' || m_t[i] == '[') {
            const char close = m_t[i] == '{' ? '}' : ']';
            i = skipWs(i + 1);
            if (i < m_t.size() && m_t[i] == close)
                return i + 1;
            while (i < m_t.size()) {
                if (close == '}') {
                    i = string(i);
                    if (i < 0)
                        return -1;
                    i = skipWs(i);
                    if (i >= m_t.size() || m_t[i] != ':')
                        return -1;
                    i = skipWs(i + 1);
                }
                i = value(i);
                if (i < 0)
                    return -1;
                i = skipWs(i);
                if (i < m_t.size() && m_t[i] == close)
                    return i + 1;
                if (i >= m_t.size() || m_t[i] != ',')
                    return -1;
                i = skipWs(i + 1);
            }
            return -1;
        }
        while (i < m_t.size() && !QByteArrayView(",}] \t\r\n").contains(m_t[i]))
            ++i;
        return i;
    }

private:
    const QByteArray &m_t;
};

QByteArray render(const QJsonValue &v)
{
    const QByteArray a = QJsonDocument(QJsonArray{v}).toJson(QJsonDocument::Compact);
    return a.mid(1, a.size() - 2);
}

} // namespace

Result<QByteArray> JsonTextEdit::set(const QByteArray &text, const QStringList &path,
                                     const QJsonValue &value)
{
    const Scanner s(text);
    qsizetype i = s.skipWs(0);
    const auto bad = [&](const QString &why) {
        return Error{QStringLiteral("json-edit"),
                     QStringLiteral("%1: %2").arg(path.join(u'.'), why)};
    };
    for (qsizetype d = 0; d < path.size(); ++d) {
        if (i >= text.size())
            return bad(QStringLiteral("the text ends early"));
        const QString &step = path[d];
        bool isIndex = false;
        const int index = step.toInt(&isIndex);
        if (isIndex && text[i] == '[') {
            qsizetype j = s.skipWs(i + 1);
            for (int n = 0;; ++n) {
                if (j >= text.size() || text[j] == ']')
                    return bad(QStringLiteral("no element %1").arg(index));
                if (n == index)
                    break;
                j = s.value(j);
                if (j < 0)
                    return bad(QStringLiteral("not valid JSON"));
                j = s.skipWs(j);
                if (j >= text.size() || text[j] != ',')
                    return bad(QStringLiteral("no element %1").arg(index));
                j = s.skipWs(j + 1);
            }
            i = j;
            continue;
        }
        if (text[i] != '{')
            return bad(QStringLiteral("%1 is not inside an object").arg(step));
        const qsizetype open = i;
        const QByteArray key = '"' + step.toUtf8() + '"';
        qsizetype j = s.skipWs(i + 1);
        qsizetype lastMemberStart = -1;
        qsizetype lastValueEnd = -1;
        bool found = false;
        while (j < text.size() && text[j] != '}') {
            const qsizetype keyEnd = s.string(j);
            if (keyEnd < 0)
                return bad(QStringLiteral("not valid JSON"));
            const bool match = text.mid(j, keyEnd - j) == key;
            lastMemberStart = j;
            j = s.skipWs(keyEnd);
            if (j >= text.size() || text[j] != ':')
                return bad(QStringLiteral("not valid JSON"));
            j = s.skipWs(j + 1);
            if (match) {
                found = true;
                break;
            }
            j = s.value(j);
            if (j < 0)
                return bad(QStringLiteral("not valid JSON"));
            lastValueEnd = j;
            j = s.skipWs(j);
            if (j < text.size() && text[j] == ',')
                j = s.skipWs(j + 1);
        }
        if (found) {
            i = j;
            continue;
        }
        if (j >= text.size())
            return bad(QStringLiteral("not valid JSON"));
        // Missing: add it (with the objects still missing below it) as the last member.
        QJsonValue inner = value;
        for (qsizetype k = path.size() - 1; k > d; --k)
            inner = QJsonObject{{path[k], inner}};
        const QByteArray member = key + ": " + render(inner);
        if (lastMemberStart < 0) {
            QByteArray out = text;
            out.insert(j, member);
            (void)open;
            return out;
        }
        // Indent like the member before it when the object spans lines.
        const qsizetype lineStart = text.lastIndexOf('\n', lastMemberStart);
        QByteArray sep = ", ";
        if (lineStart >= 0 && lineStart > open)
            sep = ",\n" + text.mid(lineStart + 1, lastMemberStart - lineStart - 1);
        QByteArray out = text;
        out.insert(lastValueEnd, sep + member);
        return out;
    }
    const qsizetype end = s.value(i);
    if (end < 0)
        return bad(QStringLiteral("not valid JSON"));
    QByteArray out = text;
    out.replace(i, end - i, render(value));
    return out;
}

} // namespace rebound
