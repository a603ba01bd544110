#pragma once

#include "CliError.h"
#include "EtcdWire.h"
#include "Result.h"

#include <QStringList>

#include <cstdint>

/// `reboundctl fleet status`, and the blocking etcd calls the fleet commands share.
class FleetCommand final
{
public:
    static int run(const QStringList &args, cli::Streams io);

    /// Puts a (validated) policy document at <prefix>/policies; returns its mod_revision.
    static rebound::Result<std::int64_t> publish(const QString &etcdUrl, const QByteArray &prefix,
                                                 const QByteArray &document);
    /// One call, waited for on a local event loop (a command-line tool has nothing else to do).
    static rebound::Result<QByteArray> callAndWait(rebound::EtcdWire &wire, const QString &path,
                                                   const QJsonObject &body);
};
