#pragma once

// Test helper: shard -> owner as etcd holds it now (<prefix>/shards/<n> = owner id), read with
// one range and waited for on this thread's event loop. Empty when etcd does not answer.
#include "fleet/EtcdCodec.h"
#include "fleet/HttpEtcdWire.h"

#include <QCoreApplication>
#include <QElapsedTimer>

#include <map>
#include <optional>

inline std::map<int, QString> shardOwners(rebound::HttpEtcdWire &wire,
                                          const QByteArray &prefix = "/rebound/shards/")
{
    using namespace rebound;
    std::optional<Result<QByteArray>> answer;
    wire.call(QStringLiteral("/v3/kv/range"),
              {{QStringLiteral("key"), EtcdCodec::base64(prefix)},
               {QStringLiteral("range_end"), EtcdCodec::base64(CoordinationStore::prefixEnd(prefix))}},
              [&](Result<QByteArray> r) { answer = std::move(r); });
    QElapsedTimer t;
    t.start();
    while (!answer && t.elapsed() < 10'000)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
    std::map<int, QString> out;
    if (!answer || !*answer)
        return out;
    const auto range = EtcdCodec::range(**answer);
    if (!range)
        return out;
    for (const StoredKey &kv : range->kvs)
        out[kv.key.mid(prefix.size()).toInt()] = QString::fromUtf8(kv.value);
    return out;
}
