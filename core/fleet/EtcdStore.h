#pragma once

#include "fleet/CoordinationStore.h"

#include <QJsonObject>

namespace rebound {

class EtcdWire;

/// etcd as the fleet's coordination store, over its JSON gateway (EtcdWire): each operation is
/// one /v3 call (a create and a guarded delete are transactions comparing the key's create
/// revision), and the watch is one /v3/watch stream with a create_request per range. The
/// bodies and answers are EtcdCodec's.
class EtcdStore final : public CoordinationStore
{
public:
    explicit EtcdStore(EtcdWire &wire) : m_wire(wire) {}
    EtcdStore(const EtcdStore &) = delete;
    EtcdStore &operator=(const EtcdStore &) = delete;

    void grantLease(Duration ttl, Answer<Lease> done) override;
    void keepAlive(std::int64_t lease, Answer<Duration> done) override;
    void timeToLive(std::int64_t lease, Answer<Duration> done) override;
    void revokeLease(std::int64_t lease, Answer<void> done) override;
    void range(const QByteArray &key, const QByteArray &rangeEnd, std::int64_t revision,
               Answer<KeyRange> done) override;
    void put(const QByteArray &key, const QByteArray &value, std::int64_t lease,
             Answer<std::int64_t> done) override;
    void create(const QByteArray &key, const QByteArray &value, std::int64_t lease,
                Answer<bool> done) override;
    void removeIfCreatedAt(const QByteArray &key, std::int64_t createRevision,
                           Answer<bool> done) override;
    void openWatch(const QList<WatchRequest> &requests, Message message, Ended ended) override;
    void closeWatch() override;
    QString address() const override;

private:
    /// A transaction on one key, if its create revision is `createRevision`.
    void txnIfCreatedAt(const QByteArray &key, std::int64_t createRevision,
                        const QJsonObject &operation, const QString &where, Answer<bool> done);

    EtcdWire &m_wire;
};

} // namespace rebound
