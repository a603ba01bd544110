#pragma once

#include "support/Result.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <functional>

namespace rebound {

/// One reply of Redis (RESP2), copied out of the client library's buffers.
struct RedisReply
{
    enum class Type
    {
        Nil,
        Integer,
        String,
        Status,
        Error,
        Array
    };
    Type type = Type::Nil;
    qint64 integer = 0;
    QByteArray text; ///< String, Status and Error
    QList<RedisReply> elements;

    friend bool operator==(const RedisReply &, const RedisReply &) = default;
};

/// The seam between the shared retry budget and Redis: commands on one connection that
/// reconnects by itself. Tests drive a fake; HiredisWire is the real one.
class RedisWire
{
public:
    using Answer = std::function<void(Result<RedisReply>)>;
    /// Up (true) or down, with why.
    using LinkListener = std::function<void(bool up, const QString &cause)>;

    virtual ~RedisWire() = default;
    /// Sends one command (argument by argument, binary-safe); `done` gets the reply, or an
    /// error value when the link is down or drops before the reply — later, on the event loop,
    /// never from inside command(). A Redis error reply is a reply (Type::Error), not an error.
    virtual void command(const QList<QByteArray> &args, Answer done) = 0;
    virtual bool isUp() const = 0;
    virtual void setLinkListener(LinkListener listener) = 0;
    /// Where it talks to, for messages and logs.
    virtual QString address() const = 0;
};

} // namespace rebound
