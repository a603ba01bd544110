#include "HttpAnswer.h"

#include "decision/ProblemDetails.h"
#include "remote/TaskJson.h"

#include <QJsonDocument>

namespace rebound::taskd {

namespace {

const char *reasonPhrase(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 410:
        return "Gone";
    case 412:
        return "Precondition Failed";
    case 413:
        return "Content Too Large";
    case 415:
        return "Unsupported Media Type";
    case 422:
        return "Unprocessable Content";
    case 426:
        return "Upgrade Required";
    case 428:
        return "Precondition Required";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    default:
        return "Status";
    }
}

} // namespace

HttpAnswer HttpAnswer::json(const QJsonObject &body, int status)
{
    HttpAnswer r;
    r.status = status;
    r.body = QJsonDocument(body).toJson(QJsonDocument::Compact);
    return r;
}

HttpAnswer HttpAnswer::problem(int status, const char *type, const QString &title,
                               const QString &detail)
{
    ProblemDetails p;
    p.type = QStringLiteral("urn:rebound:problem:") + QLatin1String(type);
    p.title = title;
    p.status = status;
    p.detail = detail;
    HttpAnswer r = json(p.toJson(), status);
    r.contentType = "application/problem+json";
    return r;
}

HttpAnswer HttpAnswer::task(const RemoteTask &task, int status)
{
    HttpAnswer r = json(TaskJson::toJson(task), status);
    r.headers.append(Header{"ETag", '"' + QByteArray::number(qint64(task.version)) + '"'});
    return r;
}

QByteArray HttpAnswer::head(bool close) const
{
    QByteArray raw = "HTTP/1.1 " + QByteArray::number(status) + ' ' + reasonPhrase(status) + "\r\n";
    if (status != 304)
        raw += "Content-Type: " + contentType + "\r\n";
    raw += "Content-Length: " + QByteArray::number(status == 304 ? 0 : body.size()) + "\r\n";
    for (const Header &h : headers)
        raw += h.name + ": " + h.value + "\r\n";
    if (close)
        raw += "Connection: close\r\n";
    raw += "\r\n";
    return raw;
}

QByteArray HttpAnswer::raw(bool close) const
{
    return status == 304 ? head(close) : head(close) + body;
}

} // namespace rebound::taskd
