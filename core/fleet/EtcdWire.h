#pragma once

#include "support/Result.h"

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QString>

#include <functional>

namespace rebound {

/// The seam between the fleet code and etcd's JSON gateway: unary calls and the one watch
/// stream a process keeps (QNetworkAccessManager runs 6 requests per host at once, so a
/// stream per key would starve the calls). Tests drive a fake; HttpEtcdWire is the real one.
class EtcdWire
{
public:
    using Answer = std::function<void(Result<QByteArray>)>;
    using Line = std::function<void(const QByteArray &)>;
    using Ended = std::function<void(const Error &)>;

    virtual ~EtcdWire() = default;
    /// POSTs `body` to `path` (e.g. "/v3/kv/range"); `done` gets a 200's body or an error
    /// value, later, on the event loop — never from inside call().
    virtual void call(const QString &path, const QJsonObject &body, Answer done) = 0;
    /// Opens the watch stream with these requests (one create_request each, sent as one body,
    /// newline-separated); each message line goes to `line`, and `ended` says why once it ends.
    /// Opening again closes the previous stream without `ended`.
    virtual void openWatch(const QList<QJsonObject> &requests, Line line, Ended ended) = 0;
    /// Closes the stream, if any, without calling its `ended`.
    virtual void closeWatch() = 0;
    /// Where it talks to, for messages and logs.
    virtual QString address() const = 0;
};

} // namespace rebound
