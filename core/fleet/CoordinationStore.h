#pragma once

#include "support/Result.h"
#include "time/Time.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <cstdint>
#include <functional>

namespace rebound {

/// One key as the store holds it. Revisions count every change to the whole store (etcd's
/// model): a key's create revision tells one incarnation of it from the next.
struct StoredKey
{
    QByteArray key;
    QByteArray value;
    std::int64_t createRevision = 0;
    std::int64_t modRevision = 0;
    std::int64_t lease = 0; ///< the lease the key goes with (0: none)
};

/// The keys of a range, and the store's revision when it answered (a watch resumes after it).
struct KeyRange
{
    std::int64_t revision = 0;
    QList<StoredKey> kvs;
};

/// One message of the watch stream.
struct WatchMessage
{
    struct Event
    {
        bool deleted = false;
        StoredKey kv;
    };
    std::int64_t revision = 0;
    std::int64_t watchId = 0; ///< which WatchRequest it belongs to
    bool created = false;
    bool canceled = false;
    std::int64_t compactRevision = 0; ///< set when canceled because the start was compacted
    QString cancelReason;
    QList<Event> events; ///< empty on a progress notification
};

/// A range to watch from `startRevision`, told apart in the stream by `id` (1…).
struct WatchRequest
{
    QByteArray key;
    QByteArray rangeEnd; ///< empty: the one key
    std::int64_t startRevision = 0;
    std::int64_t id = 0;
};

/// What the fleet needs of a coordination store: leases that end with a member, keys under
/// them, a put that only creates, a delete only of one incarnation of a key, ranges with the
/// revision they were read at, and one watch stream over several ranges that resumes from a
/// revision. etcd (EtcdStore) is one; a second store implements this and nothing in the
/// fleet's logic changes.
///
/// Every answer comes later, on the event loop — never from inside the call — as a value or
/// an error saying what failed where.
class CoordinationStore
{
public:
    template <typename T> using Answer = std::function<void(Result<T>)>;
    struct Lease
    {
        std::int64_t id = 0;
        Duration ttl{0};
    };

    virtual ~CoordinationStore() = default;

    virtual void grantLease(Duration ttl, Answer<Lease> done) = 0;
    /// Renews the lease: the TTL it has again, or ≤ 0 when it had expired.
    virtual void keepAlive(std::int64_t lease, Answer<Duration> done) = 0;
    /// The time the lease has left; negative when it is gone.
    virtual void timeToLive(std::int64_t lease, Answer<Duration> done) = 0;
    /// Ends the lease now: its keys are deleted with it.
    virtual void revokeLease(std::int64_t lease, Answer<void> done) = 0;

    /// The keys from `key` up to `rangeEnd` (empty: `key` alone), as of `revision` (0: now).
    virtual void range(const QByteArray &key, const QByteArray &rangeEnd, std::int64_t revision,
                       Answer<KeyRange> done) = 0;
    /// Puts `value` (bound to `lease` unless 0); answers the store's new revision.
    virtual void put(const QByteArray &key, const QByteArray &value, std::int64_t lease,
                     Answer<std::int64_t> done) = 0;
    /// Puts `value` only if no such key exists; answers whether it did.
    virtual void create(const QByteArray &key, const QByteArray &value, std::int64_t lease,
                        Answer<bool> done) = 0;
    /// Deletes the key only if it is still the incarnation created at `createRevision`;
    /// answers whether it did.
    virtual void removeIfCreatedAt(const QByteArray &key, std::int64_t createRevision,
                                   Answer<bool> done) = 0;

    using Message = std::function<void(Result<WatchMessage>)>;
    using Ended = std::function<void(const Error &)>;
    /// Opens the one watch stream, with progress notifications, over `requests`; each message
    /// (or a message that could not be read) goes to `message`, and `ended` says why once it
    /// ends. Opening again closes the previous stream without `ended`.
    virtual void openWatch(const QList<WatchRequest> &requests, Message message, Ended ended) = 0;
    /// Closes the stream, if any, without calling its `ended`.
    virtual void closeWatch() = 0;
    /// Which store and where, for messages and logs ("etcd http://10.0.0.5:2379").
    virtual QString address() const = 0;

    /// The end of a prefix range: the prefix with its last byte incremented (every key that
    /// starts with the prefix sorts before it).
    static QByteArray prefixEnd(QByteArray prefix)
    {
        while (!prefix.isEmpty()) {
            if (quint8(prefix.back()) < 0xff) {
                prefix.back() = char(quint8(prefix.back()) + 1);
                return prefix;
            }
            prefix.chop(1);
        }
        return QByteArray(1, '\0'); // every key
    }
};

} // namespace rebound
