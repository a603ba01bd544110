#include "remote/WatchProtocol.h"

#include "remote/TaskJson.h"

#include <QJsonDocument>
#include <QJsonObject>

#include <cmath>

namespace rebound {

namespace {
QByteArray compact(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

Result<QJsonObject> object(const QByteArray &message)
{
    QJsonParseError err{};
    const QJsonDocument doc = QJsonDocument::fromJson(message, &err);
    if (err.error != QJsonParseError::NoError)
        return Error{QStringLiteral("malformed-message"),
                     QStringLiteral("message: not JSON (%1 at byte %2)")
                         .arg(err.errorString())
                         .arg(err.offset)};
    if (!doc.isObject())
        return Error{QStringLiteral("malformed-message"), QStringLiteral("message: must be an object")};
    return doc.object();
}

Error bad(const QString &what)
{
    return Error{QStringLiteral("malformed-message"), what};
}
} // namespace

QByteArray WatchProtocol::subscribe(const QString &since)
{
    return compact({{QStringLiteral("op"), QStringLiteral("subscribe")},
                    {QStringLiteral("since"), since}});
}

Result<WatchProtocol::Subscribe> WatchProtocol::decodeSubscribe(const QByteArray &message)
{
    if (message.size() > kMaxClientMessageBytes)
        return bad(QStringLiteral("message: over %1 bytes").arg(kMaxClientMessageBytes));
    auto o = object(message);
    if (!o)
        return o.error();
    const QJsonValue op = o->value(QStringLiteral("op"));
    if (!op.isString())
        return bad(QStringLiteral("op: must be a string"));
    if (op.toString() != QLatin1String("subscribe"))
        return bad(QStringLiteral("op: unknown operation \"%1\"").arg(op.toString().left(40)));
    const QJsonValue since = o->value(QStringLiteral("since"));
    if (!since.isUndefined() && !since.isString())
        return bad(QStringLiteral("since: must be a string"));
    return Subscribe{since.toString()};
}

QByteArray WatchProtocol::changed(const QString &cursor, const QJsonArray &tasks)
{
    return compact({{QStringLiteral("type"), QStringLiteral("changed")},
                    {QStringLiteral("cursor"), cursor},
                    {QStringLiteral("tasks"), tasks}});
}

QByteArray WatchProtocol::bookmark(const QString &cursor, std::int64_t intervalMs)
{
    return compact({{QStringLiteral("type"), QStringLiteral("bookmark")},
                    {QStringLiteral("cursor"), cursor},
                    {QStringLiteral("intervalMs"), qint64(intervalMs)}});
}

QByteArray WatchProtocol::resync(const QString &detail)
{
    return compact(
        {{QStringLiteral("type"), QStringLiteral("resync")}, {QStringLiteral("detail"), detail}});
}

Result<WatchProtocol::Event> WatchProtocol::decodeEvent(const QByteArray &message)
{
    auto o = object(message);
    if (!o)
        return o.error();
    const QJsonValue type = o->value(QStringLiteral("type"));
    if (!type.isString())
        return bad(QStringLiteral("type: must be a string"));
    Event e;
    const QString t = type.toString();
    if (t == QLatin1String("resync")) {
        e.kind = Event::Kind::Resync;
        e.detail = o->value(QStringLiteral("detail")).toString().left(200);
        return e;
    }
    if (t == QLatin1String("changed"))
        e.kind = Event::Kind::Changed;
    else if (t == QLatin1String("bookmark"))
        e.kind = Event::Kind::Bookmark;
    else
        return bad(QStringLiteral("type: unknown message type \"%1\"").arg(t.left(40)));
    const QJsonValue cursor = o->value(QStringLiteral("cursor"));
    if (!cursor.isString() || cursor.toString().isEmpty())
        return bad(QStringLiteral("cursor: must be a non-empty string"));
    e.cursor = cursor.toString();
    if (e.kind == Event::Kind::Bookmark) {
        const QJsonValue interval = o->value(QStringLiteral("intervalMs"));
        const double ms = interval.toDouble(-1);
        if (!interval.isDouble() || ms < 1 || ms > 3'600'000 || ms != std::floor(ms))
            return bad(QStringLiteral("intervalMs: must be an integer from 1 to 3600000"));
        e.intervalMs = static_cast<std::int64_t>(ms);
        return e;
    }
    const QJsonValue tasks = o->value(QStringLiteral("tasks"));
    if (!tasks.isArray())
        return bad(QStringLiteral("tasks: must be an array"));
    const QJsonArray arr = tasks.toArray();
    e.tasks.reserve(arr.size());
    for (qsizetype i = 0; i < arr.size(); ++i) {
        const QString path = QStringLiteral("tasks[%1]").arg(i);
        if (!arr[i].isObject())
            return bad(path + QStringLiteral(": must be an object"));
        auto task = TaskJson::taskFromJson(arr[i].toObject(), path);
        if (!task)
            return task.error();
        e.tasks.append(std::move(task).value());
    }
    return e;
}

} // namespace rebound
