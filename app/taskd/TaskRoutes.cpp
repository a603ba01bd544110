#include "TaskRoutes.h"

#include "EntityTag.h"
#include "remote/TaskJson.h"

#include <QHttpServerRequest>
#include <QJsonArray>
#include <QJsonDocument>
#include <QUrl>
#include <QUrlQuery>

#include <algorithm>

namespace rebound::taskd {

TaskRoutes::TaskRoutes(TaskStore &store, ActionHandler &actions, Create create)
    : m_store(store), m_actions(actions), m_create(std::move(create))
{}

QByteArray TaskRoutes::header(const QHttpServerRequest &request, const char *name)
{
    for (const auto &[k, v] : request.headers()) {
        if (k.compare(name, Qt::CaseInsensitive) == 0)
            return v.trimmed();
    }
    return {};
}

ActionHandler::Request TaskRoutes::actionRequest(const QHttpServerRequest &request)
{
    return {header(request, "Idempotency-Key"), header(request, "If-Match"),
            header(request, Fence::kHeader), request.body()};
}

std::optional<HttpAnswer> TaskRoutes::answer(const QHttpServerRequest &request, const QString &path,
                                             QString &idemKey)
{
    using M = QHttpServerRequest::Method;
    const M method = request.method();
    if (path == QLatin1String("/v1/tasks")) {
        if (method == M::Get)
            return list(request);
        if (method == M::Post) {
            const QJsonDocument doc = QJsonDocument::fromJson(request.body());
            const QJsonObject o = doc.object();
            const QJsonValue type = o.value(QStringLiteral("type"));
            if (!doc.isObject() || !type.isString() || type.toString().isEmpty() ||
                type.toString().size() > TaskJson::kMaxTypeLength)
                return HttpAnswer::problem(
                    400, "bad-request", QStringLiteral("Invalid task"),
                    QStringLiteral("type: must be a string of 1–200 characters"));
            QMap<QString, QString> labels;
            const QJsonObject lo = o.value(QStringLiteral("labels")).toObject();
            for (auto it = lo.begin(); it != lo.end(); ++it) {
                if (!it.value().isString())
                    return HttpAnswer::problem(
                        400, "bad-request", QStringLiteral("Invalid task"),
                        QStringLiteral("labels.%1: must be a string").arg(it.key()));
                labels.insert(it.key(), it.value().toString());
            }
            const QJsonValue wanted = o.value(QStringLiteral("id"));
            if (!wanted.isUndefined() && (!wanted.isString() || wanted.toString().isEmpty() ||
                                          wanted.toString().size() > TaskJson::kMaxIdLength))
                return HttpAnswer::problem(
                    400, "bad-request", QStringLiteral("Invalid task"),
                    QStringLiteral("id: must be a string of 1–200 characters"));
            if (m_store.contains(wanted.toString()))
                return HttpAnswer::problem(
                    409, "id-in-use", QStringLiteral("The id is taken"),
                    QStringLiteral("id: %1 names a task already").arg(wanted.toString()));
            const QString id = m_create(type.toString(), labels, o.value(QStringLiteral("payload")),
                                        wanted.toString());
            HttpAnswer r = HttpAnswer::task(m_store.find(id)->task, 201);
            r.headers.append(
                HttpAnswer::Header{"Location", "/v1/tasks/" + QUrl::toPercentEncoding(id)});
            return r;
        }
        return HttpAnswer::problem(405, "bad-request", QStringLiteral("Method not allowed"));
    }
    static const QString prefix = QStringLiteral("/v1/tasks/");
    if (path.startsWith(prefix)) {
        // Split as it came (a task id may hold an encoded '/'), then decode the id once.
        const QStringList parts = path.mid(prefix.size()).split(u'/');
        const QString id = QUrl::fromPercentEncoding(parts.value(0).toLatin1());
        const TaskRecord *it = m_store.find(id);
        if (!it)
            return HttpAnswer::problem(404, "not-found", QStringLiteral("No such task"), id);
        if (parts.size() == 1 && method == M::Get)
            return HttpAnswer::task(it->task, 200);
        if (parts.size() == 2 && parts[1] == QLatin1String("attempts") && method == M::Get) {
            QJsonArray arr;
            for (const RemoteAttempt &a : std::as_const(it->attempts))
                arr.append(TaskJson::toJson(a));
            return HttpAnswer::json(QJsonObject{{QStringLiteral("attempts"), arr}});
        }
        if (parts.size() == 2 && method == M::Post &&
            (parts[1] == QLatin1String("attempts") || parts[1] == QLatin1String("cancel")))
            return m_actions.act(actionRequest(request), id,
                                 parts[1] == QLatin1String("cancel")
                                     ? ActionHandler::Action::Cancel
                                     : ActionHandler::Action::StartAttempt,
                                 0, idemKey);
        if (parts.size() == 4 && parts[1] == QLatin1String("attempts") &&
            parts[3] == QLatin1String("abort")) {
            if (method != M::Post)
                return HttpAnswer::problem(405, "bad-request",
                                           QStringLiteral("Method not allowed"));
            bool ok = false;
            const int n = parts[2].toInt(&ok);
            if (!ok || n < 1 || n > it->task.attempt)
                return HttpAnswer::problem(
                    404, "not-found", QStringLiteral("No such attempt"),
                    QStringLiteral("task %1 has attempts 1–%2").arg(id).arg(it->task.attempt));
            return m_actions.act(actionRequest(request), id, ActionHandler::Action::AbortAttempt, n,
                                 idemKey);
        }
        return HttpAnswer::problem(405, "bad-request", QStringLiteral("Method not allowed"));
    }
    return std::nullopt;
}

HttpAnswer TaskRoutes::list(const QHttpServerRequest &request) const
{
    const QUrlQuery q = request.query();
    int limit = 500;
    if (q.hasQueryItem(QStringLiteral("limit"))) {
        bool ok = false;
        limit = q.queryItemValue(QStringLiteral("limit")).toInt(&ok);
        if (!ok || limit < 1 || limit > 1000)
            return HttpAnswer::problem(400, "bad-request", QStringLiteral("Invalid limit"),
                                       QStringLiteral("limit: must be 1–1000"));
    }
    std::uint64_t since = 0;
    const bool hasSince = q.hasQueryItem(QStringLiteral("since"));
    if (hasSince) {
        bool expired = false;
        const auto s = m_store.decodeCursor(
            q.queryItemValue(QStringLiteral("since"), QUrl::FullyDecoded), expired);
        if (!s) {
            if (expired)
                return HttpAnswer::problem(410, "cursor-expired", QStringLiteral("Cursor expired"),
                                           QStringLiteral("resync from a full snapshot"));
            return HttpAnswer::problem(400, "bad-request", QStringLiteral("Invalid cursor"));
        }
        since = *s;
    }
    const QByteArray opaque = m_store.listTag();
    const QByteArray etag = '"' + opaque + '"';
    // If-None-Match compares weakly (RFC 9110 §13.1.2): W/"x" matches "x"; a list matches when
    // any member does; a header that is not a list of entity tags is ignored.
    const auto tags = EntityTag::parseList(header(request, "If-None-Match"));
    const bool tagMatches =
        tags && std::any_of(tags->begin(), tags->end(), [&](const EntityTag &t) {
            return t.opaque == opaque || (t.opaque == "*" && !t.weak);
        });
    if (hasSince && !m_store.changedAfter(since) && tagMatches) {
        HttpAnswer r;
        r.status = 304;
        r.headers.append(HttpAnswer::Header{"ETag", etag});
        return r;
    }
    std::uint64_t last = since;
    bool more = false;
    const QJsonArray tasks = m_store.changesSince(since, limit, last, more);
    HttpAnswer r = HttpAnswer::json(
        QJsonObject{{QStringLiteral("tasks"), tasks},
                    {QStringLiteral("cursor"),
                     QString::fromLatin1(m_store.cursorFor(more ? last : m_store.head()))},
                    {QStringLiteral("more"), more}});
    r.headers.append(HttpAnswer::Header{"ETag", etag});
    return r;
}

} // namespace rebound::taskd
