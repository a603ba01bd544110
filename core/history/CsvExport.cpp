#include "CsvExport.h"

#include "Csv.h"
#include "Rfc3339.h"
#include "SqlError.h"

#include <QSqlQuery>
#include <QVariant>

namespace rebound {

const QStringList &CsvExport::header()
{
    static const QStringList h =
        QStringLiteral(
            "endpoint,task_id,task_type,attempt,reason,started_at,ended_at,duration_ms,outcome,"
            "error_class,http_status,problem_type,retry_after_ms,delay_ms,jitter,policy,"
            "policy_version,stop_reason,trace_id,followed_by")
            .split(u',');
    return h;
}

Result<std::int64_t> CsvExport::run(const QString &connection, QIODevice &out,
                                    const ExportFilter &f,
                                    const std::function<void(std::int64_t, std::int64_t)> &progress,
                                    const std::atomic<bool> *cancel)
{
    QString where = QStringLiteral(" WHERE 1=1");
    QVariantList binds;
    if (f.sinceWallMs) {
        where += QStringLiteral(" AND started_at >= ?");
        binds << qint64(*f.sinceWallMs);
    }
    if (f.untilWallMs) {
        where += QStringLiteral(" AND started_at < ?");
        binds << qint64(*f.untilWallMs);
    }
    if (!f.taskType.isEmpty()) {
        where += QStringLiteral(" AND task_type = ?");
        binds << f.taskType;
    }
    if (f.outcome) {
        where += QStringLiteral(" AND outcome = ?");
        binds << toText(*f.outcome);
    }
    if (!f.taskIds.isEmpty()) {
        where += QStringLiteral(" AND task_id IN (") +
                 QStringList(f.taskIds.size(), QStringLiteral("?")).join(u',') + u')';
        for (const QString &id : f.taskIds)
            binds << id;
    }
    QSqlDatabase db = QSqlDatabase::database(connection);
    std::int64_t total = -1;
    if (progress) {
        QSqlQuery c(db);
        c.prepare(QStringLiteral("SELECT COUNT(*) FROM attempts") + where);
        for (const QVariant &b : binds)
            c.addBindValue(b);
        if (!c.exec() || !c.next())
            return sqlError(QStringLiteral("counting rows to export"), c.lastError());
        total = c.value(0).toLongLong();
    }
    QSqlQuery q(db);
    q.setForwardOnly(true); // stream: a million rows never sit in memory
    // Text columns come out as BLOBs: SQLite hands over its UTF-8 bytes as they are, instead of
    // the driver decoding them to UTF-16 for this loop to encode them back.
    q.prepare(
        QStringLiteral("SELECT CAST(endpoint AS BLOB), CAST(task_id AS BLOB),"
                       " CAST(task_type AS BLOB), attempt, CAST(reason AS BLOB), started_at,"
                       " ended_at, duration_ms, CAST(outcome AS BLOB),"
                       " CAST(error_class AS BLOB), http_status, CAST(problem_type AS BLOB),"
                       " COALESCE(retry_after_ms, server_retry_after_ms),"
                       // A failed attempt this console did not decide (the next one began
                       // elsewhere first) carries the delay that followed it: its end to
                       // the next attempt's start — unless an operator started that one
                       // (nobody chose a delay; the time is how long the task sat).
                       " COALESCE(delay_ms, CASE WHEN stop_reason IS NULL AND outcome IN"
                       " ('failed', 'timeout') AND ended_at IS NOT NULL THEN (SELECT"
                       " n.started_at FROM attempts n WHERE n.endpoint = attempts.endpoint"
                       " AND n.task_id = attempts.task_id AND n.attempt = attempts.attempt + 1"
                       " AND n.reason <> 'operator') - ended_at END),"
                       " CAST(jitter AS BLOB), CAST(policy AS BLOB), policy_version,"
                       " CAST(stop_reason AS BLOB), CAST(trace_id AS BLOB),"
                       // What followed a failed or timed-out attempt: the next attempt (an
                       // automatic retry, or an operator's), else what stands — stopped,
                       // deferred, or a retry scheduled.
                       " CASE WHEN outcome IN ('failed', 'timeout') THEN COALESCE((SELECT"
                       " CASE WHEN n.reason = 'operator' THEN 'operator' ELSE 'retry' END"
                       " FROM attempts n WHERE n.endpoint = attempts.endpoint AND n.task_id ="
                       " attempts.task_id AND n.attempt = attempts.attempt + 1),"
                       " CASE WHEN stop_reason IS NOT NULL THEN 'stopped: ' || stop_reason"
                       " WHEN defer_reason IS NOT NULL AND defer_reason <> '' THEN"
                       " 'deferred: ' || defer_reason WHEN delay_ms IS NOT NULL THEN"
                       " 'retry scheduled' END) END FROM attempts") +
        where + QStringLiteral(" ORDER BY started_at, endpoint, task_id, attempt"));
    for (const QVariant &b : binds)
        q.addBindValue(b);
    if (!q.exec())
        return sqlError(QStringLiteral("reading rows to export"), q.lastError());
    if (out.write(Csv::row(header())) < 0)
        return Error{QStringLiteral("export-write"), out.errorString()};
    QByteArray chunk;
    chunk.reserve(300 * 1024);
    std::int64_t rows = 0;
    // Columns by kind: text, integer, or a time (ms since the epoch) written as RFC 3339.
    enum Kind
    {
        Text,
        Int,
        Time
    };
    static constexpr int kColumns = 20;
    static constexpr Kind kinds[kColumns] = {Text, Text, Text, Int,  Text, Time, Time,
                                             Int,  Text, Text, Int,  Text, Int,  Int,
                                             Text, Text, Int,  Text, Text, Text};
    // Most text columns repeat from row to row (endpoint, type, outcome, policy...): remember
    // each column's last value and its encoded cell instead of encoding it again.
    QByteArray lastText[kColumns];
    QByteArray lastCell[kColumns];
    while (q.next()) {
        for (int c = 0; c < kColumns; ++c) {
            if (c)
                chunk.append(',');
            const QVariant v = q.value(c);
            if (v.isNull())
                continue;
            switch (kinds[c]) {
            case Text: {
                const QByteArray text = v.toByteArray();
                if (text != lastText[c]) {
                    lastText[c] = text;
                    lastCell[c].clear();
                    Csv::appendCell(lastCell[c], text);
                }
                chunk.append(lastCell[c]);
                break;
            }
            case Int: {
                // Hand-rolled: snprintf is measurable at a million rows. Values are never
                // negative here; if one were, appendCell would neutralise its leading '-'.
                char digits[24];
                long long n = v.toLongLong();
                const bool negative = n < 0;
                unsigned long long u = negative ? 0ULL - static_cast<unsigned long long>(n)
                                                : static_cast<unsigned long long>(n);
                int i = 24;
                do {
                    digits[--i] = static_cast<char>('0' + u % 10);
                    u /= 10;
                } while (u);
                if (negative)
                    digits[--i] = '-';
                Csv::appendCell(chunk, QByteArrayView(digits + i, 24 - i));
                break;
            }
            case Time:
                Rfc3339::append(chunk, v.toLongLong());
                break;
            }
        }
        chunk.append("\r\n", 2);
        ++rows;
        if (chunk.size() >= 256 * 1024) {
            if (out.write(chunk) != chunk.size())
                return Error{QStringLiteral("export-write"), out.errorString()};
            chunk.clear();
            if (progress)
                progress(rows, total);
            if (cancel && cancel->load())
                return Error{QStringLiteral("export-cancelled"),
                             QStringLiteral("export cancelled after %1 rows").arg(rows)};
        }
    }
    if (!chunk.isEmpty() && out.write(chunk) != chunk.size())
        return Error{QStringLiteral("export-write"), out.errorString()};
    if (progress)
        progress(rows, total);
    return rows;
}

} // namespace rebound
