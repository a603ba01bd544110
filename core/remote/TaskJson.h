#pragma once

#include "remote/RemoteTask.h"
#include "support/Result.h"

#include <QByteArray>
#include <QJsonObject>

namespace rebound {

/// Encodes and strictly decodes the Task API's JSON. A body that is not JSON, has the wrong
/// shape or wrong-typed members is an error value naming the first offending path
/// (`tasks[3].version: must be an integer ≥ 0`), never a crash or a half-filled object.
class TaskJson final
{
public:
    static constexpr qsizetype kMaxTypeLength = 200;
    static constexpr qsizetype kMaxIdLength = 200; ///< the contract's TaskId: any 1–200 characters

    static Result<TaskPage> decodePage(const QByteArray &body);
    static Result<RemoteTask> decodeTask(const QByteArray &body);
    static Result<QList<RemoteAttempt>> decodeAttempts(const QByteArray &body);

    static Result<RemoteTask> taskFromJson(const QJsonObject &o, const QString &path);
    static Result<RemoteAttempt> attemptFromJson(const QJsonObject &o, const QString &path);

    static QJsonObject toJson(const RemoteTask &task);
    static QJsonObject toJson(const RemoteAttempt &attempt);
};

} // namespace rebound
