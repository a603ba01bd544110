#include "TaskJournal.h"

#include <QHash>
#include <QJsonDocument>
#include <QSaveFile>

namespace rebound::taskd {

Result<std::unique_ptr<TaskJournal>> TaskJournal::open(const QString &path, Contents &contents)
{
    contents = {};
    QHash<QString, qsizetype> index;
    QFile in(path);
    if (in.exists()) {
        if (!in.open(QIODevice::ReadOnly))
            return Error{QStringLiteral("journal-unreadable"), in.errorString()};
        int lineNo = 0;
        while (!in.atEnd()) {
            ++lineNo;
            const QByteArray line = in.readLine(kMaxLineBytes);
            if (line.trimmed().isEmpty())
                continue;
            QJsonParseError pe;
            const QJsonDocument doc = QJsonDocument::fromJson(line, &pe);
            const QString key = doc.object().value(QStringLiteral("key")).toString();
            if (!line.endsWith('\n') || pe.error != QJsonParseError::NoError || !doc.isObject() ||
                key.isEmpty()) {
                ++contents.skipped;
                continue;
            }
            if (const auto it = index.constFind(key); it != index.constEnd()) {
                contents.records[*it] = doc.object();
            } else {
                index.insert(key, contents.records.size());
                contents.records.append(doc.object());
            }
        }
        in.close();
    }
    // Compact: only the latest line per key survives, written beside and renamed over.
    QSaveFile out(path);
    if (!out.open(QIODevice::WriteOnly))
        return Error{QStringLiteral("journal-unwritable"), out.errorString()};
    for (const QJsonObject &r : std::as_const(contents.records))
        out.write(QJsonDocument(r).toJson(QJsonDocument::Compact) + '\n');
    if (!out.commit())
        return Error{QStringLiteral("journal-unwritable"), out.errorString()};

    std::unique_ptr<TaskJournal> j(new TaskJournal);
    j->m_file.setFileName(path);
    if (!j->m_file.open(QIODevice::WriteOnly | QIODevice::Append | QIODevice::Unbuffered))
        return Error{QStringLiteral("journal-unwritable"), j->m_file.errorString()};
    return j;
}

Result<void> TaskJournal::append(const QList<QJsonObject> &records)
{
    QByteArray chunk;
    for (const QJsonObject &r : records)
        chunk += QJsonDocument(r).toJson(QJsonDocument::Compact) + '\n';
    if (chunk.isEmpty())
        return {};
    if (m_file.write(chunk) != chunk.size())
        return Error{QStringLiteral("journal-write-failed"),
                     m_file.fileName() + QStringLiteral(": ") + m_file.errorString()};
    return {};
}

} // namespace rebound::taskd
