#pragma once

#include "remote/ApiResponse.h"
#include "remote/WatchChannel.h"
#include "time/Time.h"

#include <QByteArray>
#include <QList>
#include <QSslCertificate>
#include <QString>

#include <functional>
#include <memory>
#include <optional>

namespace rebound {

struct EndpointConfig;

/// The engine's only way to a Task API endpoint: requests out, answers back. EndpointClient
/// speaks HTTP; tests put a scripted fake here, so the engine's logic runs on a manual clock
/// without a server.
class TaskTransport
{
public:
    using Callback = std::function<void(const ApiResponse &)>;

    virtual ~TaskTransport() = default;

    /// Queues a request; `done` runs exactly once, later (never from inside send()), also
    /// when the request is aborted.
    virtual void send(ApiRequest request, Callback done) = 0;
    /// Fails every queued and running request with an "aborted" transport error.
    virtual void abortAll() = 0;
    /// The endpoint's identity (its URL), as EndpointConfig::key() gives it.
    virtual QString endpointKey() const = 0;
    /// New token and trust anchors for the same endpoint.
    virtual void setCredentials(const QByteArray &token,
                                const QList<QSslCertificate> &caCertificates) = 0;
    /// While a server's Retry-After is in force: when requests may flow again.
    virtual std::optional<SteadyTime> pausedUntil() const = 0;
    /// A new, unopened push channel to the endpoint's `/v1/watch`; none when this transport
    /// has no push (then the poller only polls).
    virtual std::unique_ptr<WatchChannel> openWatch() { return nullptr; }
};

/// Makes the transport of an endpoint (the engine owns what it returns).
using TransportFactory = std::function<std::unique_ptr<TaskTransport>(const EndpointConfig &)>;

} // namespace rebound
