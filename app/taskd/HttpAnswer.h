#pragma once

#include "remote/RemoteTask.h"

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QString>

namespace rebound::taskd {

/// One HTTP/1.1 answer of rebound-taskd, as built by the routes and written by the server.
struct HttpAnswer
{
    struct Header
    {
        QByteArray name;
        QByteArray value;
    };
    int status = 200;
    QList<Header> headers;
    QByteArray body;
    QByteArray contentType = "application/json";

    /// A JSON body, compact.
    static HttpAnswer json(const QJsonObject &body, int status = 200);
    /// An RFC 9457 problem of type `urn:rebound:problem:<type>`.
    static HttpAnswer problem(int status, const char *type, const QString &title,
                              const QString &detail = {});
    /// A task's representation, with its version as the ETag.
    static HttpAnswer task(const RemoteTask &task, int status = 200);
    /// Status line and headers (Content-Length of the whole body).
    QByteArray head(bool close) const;
    /// Head and body, as written to the socket.
    QByteArray raw(bool close) const;
};

} // namespace rebound::taskd
