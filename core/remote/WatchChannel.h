#pragma once

#include <QByteArray>
#include <QString>

#include <cstdint>
#include <functional>

namespace rebound {

/// One push connection to an endpoint's `/v1/watch` (the second half of the transport seam:
/// WebSocketWatch speaks WebSocket, tests script a fake). Handlers run later, never from inside
/// open(), send() or the destructor; `closed` runs at most once and nothing runs after it.
/// Destroying the channel closes it without calling any handler.
class WatchChannel
{
public:
    struct Handlers
    {
        std::function<void()> opened;                       ///< the upgrade was accepted
        std::function<void(const QByteArray &)> message;    ///< one text message
        std::function<void(const QString &why)> closed;     ///< refused, dropped or closed
    };

    virtual ~WatchChannel() = default;
    virtual void open(Handlers handlers) = 0;
    virtual void send(const QByteArray &message) = 0;
    /// Payload bytes received so far (for the bytes-per-change benchmark).
    virtual std::int64_t bytesReceived() const = 0;
};

} // namespace rebound
