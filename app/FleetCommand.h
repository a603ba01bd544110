#pragma once

#include "fleet/EtcdAccess.h"

#include "CliError.h"
#include "support/Result.h"

#include <QEventLoop>
#include <QStringList>

#include <functional>
#include <optional>

#include <cstdint>

/// `reboundctl fleet status`, and the blocking store calls the fleet commands share.
class FleetCommand final
{
public:
    static int run(const QStringList &args, cli::Streams io);

    /// Puts a (validated) policy document at <prefix>/policies; returns its mod_revision.
    static rebound::Result<std::int64_t>
    publish(const rebound::EtcdAccess &etcd, const QByteArray &prefix, const QByteArray &document);
    /// Runs `start` with a callback and waits on a local event loop until it is called.
    template <typename T>
    static rebound::Result<T>
    wait(const std::function<void(std::function<void(rebound::Result<T>)>)> &start);
};

template <typename T>
rebound::Result<T>
FleetCommand::wait(const std::function<void(std::function<void(rebound::Result<T>)>)> &start)
{
    std::optional<rebound::Result<T>> answer;
    QEventLoop loop;
    start([&](rebound::Result<T> r) {
        answer = std::move(r);
        loop.quit();
    });
    if (!answer) // answered later, on the event loop
        loop.exec();
    return std::move(*answer);
}
