#pragma once

#include "support/Result.h"

#include <QByteArray>

#include <cstdint>

namespace rebound {

/// A fencing token: the shard a task belongs to and the etcd create_revision of its owner's
/// claim. Sent by a fleet member with every action it takes on its own (`Rebound-Fence:
/// <shard>:<revision>`); a service keeps the highest revision seen per shard and refuses a
/// lower one, so an owner that lost its shard (paused, partitioned) cannot act after the new
/// owner has.
struct Fence
{
    int shard = 0;
    std::int64_t revision = 0;

    static constexpr const char *kHeader = "Rebound-Fence";
    static constexpr int kMaxShard = 65535;

    QByteArray text() const
    {
        return QByteArray::number(shard) + ':' + QByteArray::number(revision);
    }
    /// `<shard>:<revision>`: shard 0…65535, revision ≥ 1, decimal, nothing else.
    static Result<Fence> parse(const QByteArray &text);
    /// The body of `POST /v1/fences` and its answer: {"shard":17,"revision":4021}.
    QByteArray announcement() const;
    /// An announcement read back; errors name the field and what it must be.
    static Result<Fence> fromAnnouncement(const QByteArray &json);
    friend bool operator==(const Fence &, const Fence &) = default;
};

} // namespace rebound
