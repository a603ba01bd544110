#include "remote/TaskApi.h"

#include <QCryptographicHash>
#include <QJsonDocument>
#include <QJsonObject>
#include <QUrl>

namespace rebound {

QString TaskApi::segment(const QString &id)
{
    return QString::fromLatin1(QUrl::toPercentEncoding(id));
}

QUrl TaskApi::resolve(const QUrl &base, const QString &encodedPath)
{
    QUrl url = base;
    QString path = base.path(QUrl::FullyEncoded);
    if (path.endsWith(u'/'))
        path.chop(1);
    // setPath's default (DecodedMode) reads '%' as a character and would send job%3A42 as
    // job%253A42; the path here is encoded already.
    url.setPath(path + encodedPath, QUrl::StrictMode);
    return url;
}

QString TaskApi::taskPath(const QString &id)
{
    return QStringLiteral("/v1/tasks/") + segment(id);
}

ApiRequest TaskApi::listTasks(const QString &since, int limit, const QByteArray &ifNoneMatch)
{
    ApiRequest r;
    r.path = QStringLiteral("/v1/tasks");
    r.query.addQueryItem(QStringLiteral("limit"), QString::number(limit));
    if (!since.isEmpty())
        r.query.addQueryItem(QStringLiteral("since"), since); // cursors are URL-safe base64
    if (!ifNoneMatch.isEmpty())
        r.headers.append({"If-None-Match", ifNoneMatch});
    return r;
}

ApiRequest TaskApi::getTask(const QString &id)
{
    ApiRequest r;
    r.path = taskPath(id);
    return r;
}

ApiRequest TaskApi::getAttempts(const QString &id)
{
    ApiRequest r;
    r.path = taskPath(id) + QStringLiteral("/attempts");
    return r;
}

ApiRequest TaskApi::startAttempt(const QString &id, std::int64_t version, const QByteArray &key,
                                 const QByteArray &body)
{
    ApiRequest r;
    r.method = "POST";
    r.path = taskPath(id) + QStringLiteral("/attempts");
    r.body = body;
    r.headers.append({"If-Match", '"' + QByteArray::number(qint64(version)) + '"'});
    r.headers.append({"Idempotency-Key", key});
    return r;
}

ApiRequest TaskApi::cancel(const QString &id, std::int64_t version, const QByteArray &key,
                           const QByteArray &body)
{
    ApiRequest r = startAttempt(id, version, key, body);
    r.path = taskPath(id) + QStringLiteral("/cancel");
    return r;
}

ApiRequest TaskApi::abortAttempt(const QString &id, int attemptNumber, std::int64_t version,
                                 const QByteArray &key, const QByteArray &body)
{
    ApiRequest r = startAttempt(id, version, key, body);
    r.path = taskPath(id) + QStringLiteral("/attempts/%1/abort").arg(attemptNumber);
    return r;
}

ApiRequest TaskApi::createTask(const QString &type, const QJsonObject &labels)
{
    ApiRequest r;
    r.method = "POST";
    r.path = QStringLiteral("/v1/tasks");
    QJsonObject o{{QStringLiteral("type"), type}};
    if (!labels.isEmpty())
        o.insert(QStringLiteral("labels"), labels);
    r.body = QJsonDocument(o).toJson(QJsonDocument::Compact);
    return r;
}

ApiRequest TaskApi::announceFence(const Fence &fence)
{
    ApiRequest r;
    r.method = "POST";
    r.path = QStringLiteral("/v1/fences");
    r.body = fence.announcement();
    return r;
}

QByteArray TaskApi::idempotencyKey(const QString &endpoint, const QString &taskId,
                                   int attemptNumber, const QString &action)
{
    const QByteArray material = endpoint.toUtf8() + '\n' + taskId.toUtf8() + '\n' +
                                QByteArray::number(attemptNumber) + '\n' + action.toUtf8();
    return "rb-" + QCryptographicHash::hash(material, QCryptographicHash::Sha256).toHex().left(40);
}

QByteArray TaskApi::attemptBody(const QString &reason, std::int64_t deadlineMs)
{
    QJsonObject o{{QStringLiteral("reason"), reason}};
    if (deadlineMs > 0)
        o.insert(QStringLiteral("deadlineMs"), qint64(deadlineMs));
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

QByteArray TaskApi::cancelBody(const QString &reason)
{
    return attemptBody(reason);
}

QByteArray TaskApi::abortBody(const QString &reason)
{
    return attemptBody(reason);
}

} // namespace rebound
