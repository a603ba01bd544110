#pragma once

#include "ActionHandler.h"
#include "HttpAnswer.h"
#include "TaskStore.h"

#include <QJsonValue>
#include <QMap>

#include <functional>
#include <optional>

class QHttpServerRequest;

namespace rebound::taskd {

/// The Task API's routes on tasks: `GET /v1/tasks` (snapshot and delta pages, cursors, ETag and
/// 304), `POST /v1/tasks`, a task, its attempts, and the actions (handed to the ActionHandler).
class TaskRoutes final
{
public:
    /// Creates a task (id given or the service's own) and starts its initial attempt.
    using Create = std::function<QString(const QString &type, const QMap<QString, QString> &labels,
                                         const QJsonValue &payload, const QString &wantedId)>;

    TaskRoutes(TaskStore &store, ActionHandler &actions, Create create);
    TaskRoutes(const TaskRoutes &) = delete;
    TaskRoutes &operator=(const TaskRoutes &) = delete;

    /// The answer to a request on /v1/tasks or below; nothing for any other path. `idemKey`
    /// gets the key of an action carried out (see ActionHandler::act).
    std::optional<HttpAnswer> answer(const QHttpServerRequest &request, const QString &path,
                                     QString &idemKey);
    /// A request header's value, trimmed (empty: none).
    static QByteArray header(const QHttpServerRequest &request, const char *name);

private:
    HttpAnswer list(const QHttpServerRequest &request) const;
    static ActionHandler::Request actionRequest(const QHttpServerRequest &request);

    TaskStore &m_store;
    ActionHandler &m_actions;
    Create m_create;
};

} // namespace rebound::taskd
