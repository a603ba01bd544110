#include "history/CsvExport.h"

#include "history/SqliteDb.h"
#include "support/Csv.h"
#include "support/Rfc3339.h"

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

QString CsvExport::query(const QString &where)
{
    return QStringLiteral("SELECT endpoint, task_id, task_type, attempt, reason, started_at,"
                       " ended_at, duration_ms, outcome, error_class, http_status, problem_type,"
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
                       " jitter, policy, policy_version, stop_reason, trace_id,"
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
           where + QStringLiteral(" ORDER BY started_at, endpoint, task_id, attempt");
}

Result<std::int64_t> CsvExport::run(SqliteDb &db, QIODevice &out,
                                    const ExportFilter &f,
                                    const std::function<void(std::int64_t, std::int64_t)> &progress,
                                    const std::atomic<bool> *cancel)
{
    // Each filter is a condition and the values it binds, in order.
    QString where = QStringLiteral(" WHERE 1=1");
    QList<std::int64_t> numbers; // bound first (they come first in `where`)
    QStringList texts;
    if (f.sinceWallMs) {
        where += QStringLiteral(" AND started_at >= ?");
        numbers << *f.sinceWallMs;
    }
    if (f.untilWallMs) {
        where += QStringLiteral(" AND started_at < ?");
        numbers << *f.untilWallMs;
    }
    if (!f.taskType.isEmpty()) {
        where += QStringLiteral(" AND task_type = ?");
        texts << f.taskType;
    }
    if (f.outcome) {
        where += QStringLiteral(" AND outcome = ?");
        texts << toText(*f.outcome);
    }
    if (!f.taskIds.isEmpty()) {
        where += QStringLiteral(" AND task_id IN (") +
                 QStringList(f.taskIds.size(), QStringLiteral("?")).join(u',') + u')';
        texts << f.taskIds;
    }
    const auto bindAll = [&](SqliteStatement &q) {
        int i = 1;
        for (std::int64_t n : std::as_const(numbers))
            q.bind(i++, n);
        for (const QString &t : std::as_const(texts))
            q.bind(i++, t);
    };
    std::int64_t total = -1;
    if (progress) {
        auto c = db.prepare(QStringLiteral("SELECT COUNT(*) FROM attempts") + where,
                            QStringLiteral("counting rows to export"));
        if (!c)
            return c.error();
        bindAll(*c);
        const auto row = c->step();
        if (!row || !*row)
            return db.error(QStringLiteral("counting rows to export"));
        total = c->int64(0);
    }
    // Stepped row by row: a million rows never sit in memory. Text columns are read as the
    // UTF-8 bytes SQLite stores, never decoded to UTF-16 to be encoded back.
    auto q = db.prepare(query(where), QStringLiteral("reading rows to export"));
    if (!q)
        return q.error();
    bindAll(*q);
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
    for (;;) {
        const auto row = q->step();
        if (!row)
            return Error{row.error().code,
                         QStringLiteral("reading rows to export: ") + row.error().message};
        if (!*row)
            break;
        for (int c = 0; c < kColumns; ++c) {
            if (c)
                chunk.append(',');
            if (q->isNull(c))
                continue;
            switch (kinds[c]) {
            case Text: {
                const QByteArrayView text = q->bytes(c);
                if (text != lastText[c]) {
                    lastText[c] = text.toByteArray();
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
                long long n = q->int64(c);
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
                Rfc3339::append(chunk, q->int64(c));
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
