#include "remote/TaskJson.h"

#include "support/JsonInput.h"
#include "support/Rfc3339.h"

#include <QJsonArray>
#include <QJsonDocument>

#include <cmath>
#include <limits>

namespace rebound {

namespace {

Error bad(const QString &path, const QString &reason)
{
    return Error{QStringLiteral("malformed-body"), path + QStringLiteral(": ") + reason};
}

Result<QJsonObject> parseObject(const QByteArray &body)
{
    return JsonInput::parseObject(body, QStringLiteral("malformed-body"));
}

// Small readers: each returns false and fills `e` on a bad member.
bool readString(const QJsonObject &o, const char *key, const QString &path, QString &out, Error &e,
                bool required, qsizetype maxLen = 10'000)
{
    const QJsonValue v = o.value(QLatin1String(key));
    if (v.isUndefined() || v.isNull()) {
        if (required)
            e = bad(path + u'.' + QLatin1String(key), QStringLiteral("is required"));
        return !required;
    }
    if (!v.isString() || v.toString().size() > maxLen || (required && v.toString().isEmpty())) {
        e = bad(path + u'.' + QLatin1String(key),
                QStringLiteral("must be a string of 1–%1 characters").arg(maxLen));
        return false;
    }
    out = v.toString();
    return true;
}

template <typename Int>
bool readInt(const QJsonObject &o, const char *key, const QString &path, Int &out, Error &e,
             bool required, double min = 0)
{
    const QJsonValue v = o.value(QLatin1String(key));
    if (v.isUndefined() || v.isNull()) {
        if (required)
            e = bad(path + u'.' + QLatin1String(key), QStringLiteral("is required"));
        return !required;
    }
    const double d = v.toDouble();
    // The upper bound is the target type's: casting a larger double is undefined behaviour
    // (found by fuzz_taskjson with an attempt number of 144444469939).
    const double max = std::min(9.0e15, static_cast<double>(std::numeric_limits<Int>::max()));
    if (!v.isDouble() || d != std::floor(d) || d < min || d > max) {
        e = bad(path + u'.' + QLatin1String(key),
                d > max && v.isDouble()
                    ? QStringLiteral("must be an integer ≤ %1").arg(static_cast<qint64>(max))
                    : QStringLiteral("must be an integer ≥ %1").arg(min));
        return false;
    }
    out = static_cast<Int>(d);
    return true;
}

bool readTime(const QJsonObject &o, const char *key, const QString &path, std::int64_t &out,
              Error &e, bool required)
{
    QString s;
    if (!readString(o, key, path, s, e, required, 40))
        return false;
    if (s.isEmpty())
        return true;
    const auto ms = Rfc3339::parse(s);
    if (!ms) {
        e = bad(path + u'.' + QLatin1String(key), QStringLiteral("must be an RFC 3339 time"));
        return false;
    }
    out = *ms;
    return true;
}

template <typename E>
bool readEnum(const QJsonObject &o, const char *key, const QString &path, E &out, Error &e,
              std::optional<E> (*parse)(const QString &), const char *allowed)
{
    const QJsonValue v = o.value(QLatin1String(key));
    const auto parsed = v.isString() ? parse(v.toString()) : std::nullopt;
    if (!parsed) {
        e = bad(path + u'.' + QLatin1String(key),
                QStringLiteral("must be one of ") + QLatin1String(allowed));
        return false;
    }
    out = *parsed;
    return true;
}

} // namespace

Result<RemoteAttempt> TaskJson::attemptFromJson(const QJsonObject &o, const QString &path)
{
    RemoteAttempt a;
    Error e;
    std::int64_t ended = -1, duration = -1, retryAfter = -1;
    int status = -1;
    if (!readInt(o, "number", path, a.number, e, true, 1) ||
        !readTime(o, "startedAt", path, a.startedAtMs, e, true) ||
        !readTime(o, "endedAt", path, ended, e, false) ||
        !readInt(o, "durationMs", path, duration, e, false) ||
        !readEnum(o, "outcome", path, a.outcome, e, &attemptOutcomeFromText,
                  "running, succeeded, failed, timeout") ||
        !readInt(o, "httpStatus", path, status, e, false, 100) ||
        !readInt(o, "retryAfterMs", path, retryAfter, e, false) ||
        !readString(o, "traceId", path, a.traceId, e, false, 64) ||
        !readEnum(o, "reason", path, a.reason, e, &attemptReasonFromText,
                  "initial, auto, operator"))
        return e;
    if (status > 599)
        return bad(path + QStringLiteral(".httpStatus"),
                   QStringLiteral("must be an HTTP status code"));
    if (o.contains(QStringLiteral("endedAt")) && !o.value(QStringLiteral("endedAt")).isNull())
        a.endedAtMs = ended;
    if (duration >= 0)
        a.durationMs = duration;
    if (status >= 0)
        a.httpStatus = status;
    if (retryAfter >= 0)
        a.retryAfterMs = retryAfter;
    const QJsonValue p = o.value(QStringLiteral("problem"));
    if (p.isObject())
        a.problem = ProblemDetails::fromJson(p.toObject());
    else if (!p.isUndefined() && !p.isNull())
        return bad(path + QStringLiteral(".problem"), QStringLiteral("must be an object"));
    return a;
}

Result<RemoteTask> TaskJson::taskFromJson(const QJsonObject &o, const QString &path)
{
    RemoteTask t;
    Error e;
    if (!readString(o, "id", path, t.id, e, true, kMaxIdLength) ||
        !readString(o, "type", path, t.type, e, true, kMaxTypeLength) ||
        !readEnum(o, "state", path, t.state, e, &remoteStateFromText,
                  "pending, running, succeeded, failed, cancelled") ||
        !readInt(o, "attempt", path, t.attempt, e, true) ||
        !readInt(o, "version", path, t.version, e, true) ||
        !readTime(o, "createdAt", path, t.createdAtMs, e, true) ||
        !readTime(o, "updatedAt", path, t.updatedAtMs, e, true) ||
        !readString(o, "cancelReason", path, t.cancelReason, e, false, 100))
        return e;
    const QJsonValue labels = o.value(QStringLiteral("labels"));
    if (labels.isObject()) {
        const QJsonObject lo = labels.toObject();
        for (auto it = lo.begin(); it != lo.end(); ++it) {
            if (!it.value().isString())
                return bad(path + QStringLiteral(".labels.") + it.key(),
                           QStringLiteral("must be a string"));
            t.labels.insert(it.key(), it.value().toString());
        }
    } else if (!labels.isUndefined() && !labels.isNull()) {
        return bad(path + QStringLiteral(".labels"), QStringLiteral("must be an object"));
    }
    const QJsonValue last = o.value(QStringLiteral("lastAttempt"));
    if (last.isObject()) {
        auto a = attemptFromJson(last.toObject(), path + QStringLiteral(".lastAttempt"));
        if (!a)
            return a.error();
        t.lastAttempt = std::move(a).value();
    } else if (!last.isUndefined() && !last.isNull()) {
        return bad(path + QStringLiteral(".lastAttempt"), QStringLiteral("must be an object"));
    }
    return t;
}

Result<TaskPage> TaskJson::decodePage(const QByteArray &body)
{
    auto obj = parseObject(body);
    if (!obj)
        return obj.error();
    const QJsonValue tasks = obj->value(QStringLiteral("tasks"));
    if (!tasks.isArray())
        return bad(QStringLiteral("$.tasks"), QStringLiteral("must be an array"));
    TaskPage page;
    const QJsonArray arr = tasks.toArray();
    page.tasks.reserve(arr.size());
    for (qsizetype i = 0; i < arr.size(); ++i) {
        const QString path = QStringLiteral("$.tasks[%1]").arg(i);
        if (!arr.at(i).isObject())
            return bad(path, QStringLiteral("must be an object"));
        auto t = taskFromJson(arr.at(i).toObject(), path);
        if (!t)
            return t.error();
        page.tasks.append(std::move(t).value());
    }
    Error e;
    if (!readString(*obj, "cursor", QStringLiteral("$"), page.cursor, e, true, 200))
        return bad(QStringLiteral("$.cursor"),
                   QStringLiteral("must be a string of 1–200 characters"));
    const QJsonValue more = obj->value(QStringLiteral("more"));
    if (!more.isBool())
        return bad(QStringLiteral("$.more"), QStringLiteral("must be true or false"));
    page.more = more.toBool();
    return page;
}

Result<RemoteTask> TaskJson::decodeTask(const QByteArray &body)
{
    auto obj = parseObject(body);
    if (!obj)
        return obj.error();
    return taskFromJson(*obj, QStringLiteral("$"));
}

Result<QList<RemoteAttempt>> TaskJson::decodeAttempts(const QByteArray &body)
{
    auto obj = parseObject(body);
    if (!obj)
        return obj.error();
    const QJsonValue attempts = obj->value(QStringLiteral("attempts"));
    if (!attempts.isArray())
        return bad(QStringLiteral("$.attempts"), QStringLiteral("must be an array"));
    QList<RemoteAttempt> out;
    const QJsonArray arr = attempts.toArray();
    for (qsizetype i = 0; i < arr.size(); ++i) {
        const QString path = QStringLiteral("$.attempts[%1]").arg(i);
        if (!arr.at(i).isObject())
            return bad(path, QStringLiteral("must be an object"));
        auto a = attemptFromJson(arr.at(i).toObject(), path);
        if (!a)
            return a.error();
        out.append(std::move(a).value());
    }
    return out;
}

QJsonObject TaskJson::toJson(const RemoteAttempt &a)
{
    QJsonObject o{{QStringLiteral("number"), a.number},
                  {QStringLiteral("startedAt"), Rfc3339::format(a.startedAtMs)},
                  {QStringLiteral("outcome"), toText(a.outcome)},
                  {QStringLiteral("traceId"), a.traceId},
                  {QStringLiteral("reason"), toText(a.reason)}};
    if (a.endedAtMs)
        o.insert(QStringLiteral("endedAt"), Rfc3339::format(*a.endedAtMs));
    if (a.durationMs)
        o.insert(QStringLiteral("durationMs"), qint64(*a.durationMs));
    if (a.httpStatus)
        o.insert(QStringLiteral("httpStatus"), *a.httpStatus);
    if (a.retryAfterMs)
        o.insert(QStringLiteral("retryAfterMs"), qint64(*a.retryAfterMs));
    if (a.problem)
        o.insert(QStringLiteral("problem"), a.problem->toJson());
    return o;
}

QJsonObject TaskJson::toJson(const RemoteTask &t)
{
    QJsonObject o{{QStringLiteral("id"), t.id},
                  {QStringLiteral("type"), t.type},
                  {QStringLiteral("state"), toText(t.state)},
                  {QStringLiteral("attempt"), t.attempt},
                  {QStringLiteral("version"), qint64(t.version)},
                  {QStringLiteral("createdAt"), Rfc3339::format(t.createdAtMs)},
                  {QStringLiteral("updatedAt"), Rfc3339::format(t.updatedAtMs)}};
    if (!t.cancelReason.isEmpty())
        o.insert(QStringLiteral("cancelReason"), t.cancelReason);
    if (!t.labels.isEmpty()) {
        QJsonObject l;
        for (auto it = t.labels.begin(); it != t.labels.end(); ++it)
            l.insert(it.key(), it.value());
        o.insert(QStringLiteral("labels"), l);
    }
    if (t.lastAttempt)
        o.insert(QStringLiteral("lastAttempt"), toJson(*t.lastAttempt));
    return o;
}

} // namespace rebound
