#pragma once

// Test helper: a RedisWire with no Redis. Every command is held until the test answers it;
// the test says when the link goes up or down.
#include "fleet/RedisWire.h"

#include <deque>

class FakeRedisWire final : public rebound::RedisWire
{
public:
    struct Command
    {
        QList<QByteArray> args;
        Answer done;
    };

    void command(const QList<QByteArray> &args, Answer done) override
    {
        commands.push_back({args, std::move(done)});
    }
    bool isUp() const override { return up; }
    void setLinkListener(LinkListener l) override { listener = std::move(l); }
    QString address() const override { return QStringLiteral("redis://redis.test:6379"); }

    void setUp(bool u, const QString &cause = {})
    {
        up = u;
        if (listener)
            listener(u, cause);
    }
    /// Takes the oldest held command; the test checks its arguments and answers it.
    Command take()
    {
        if (commands.empty()) // the test's QCOMPARE of the arguments then fails, not a crash
            return Command{{"(no command)"}, [](rebound::Result<rebound::RedisReply>) {}};
        Command c = std::move(commands.front());
        commands.pop_front();
        return c;
    }
    static rebound::RedisReply integers(qint64 a, qint64 b)
    {
        using T = rebound::RedisReply::Type;
        rebound::RedisReply r{T::Array, 0, {}, {}};
        r.elements = {{T::Integer, a, {}, {}}, {T::Integer, b, {}, {}}};
        return r;
    }
    static rebound::RedisReply text(rebound::RedisReply::Type type, const QByteArray &t)
    {
        return {type, 0, t, {}};
    }

    std::deque<Command> commands;
    bool up = false;
    LinkListener listener;
};
