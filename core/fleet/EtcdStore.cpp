#include "fleet/EtcdStore.h"

#include "fleet/EtcdCodec.h"
#include "fleet/EtcdWire.h"

#include <QJsonArray>
#include <QJsonObject>

#include <algorithm>

namespace rebound {

namespace {

QString secondsText(Duration d)
{
    return EtcdCodec::int64Text(std::max<std::int64_t>(1, d.count() / 1000));
}

/// The int64 field `key` of an answer's object `inner` (empty: the answer itself), in ms.
Result<Duration> ttlOf(const QByteArray &answer, const QString &inner, const QString &where)
{
    auto o = EtcdCodec::object(answer, where);
    if (!o)
        return o.error();
    const QJsonObject at = inner.isEmpty() ? *o : o->value(inner).toObject();
    auto ttl =
        EtcdCodec::int64(at, QStringLiteral("TTL"), inner.isEmpty() ? where : where + u'.' + inner);
    if (!ttl)
        return ttl.error();
    return Duration(*ttl * 1000);
}

} // namespace

void EtcdStore::grantLease(Duration ttl, Answer<Lease> done)
{
    m_wire.call(QStringLiteral("/v3/lease/grant"), {{QStringLiteral("TTL"), secondsText(ttl)}},
                [done](Result<QByteArray> answer) {
                    if (!answer)
                        return done(answer.error());
                    const QString where = QStringLiteral("lease grant");
                    auto o = EtcdCodec::object(*answer, where);
                    if (!o)
                        return done(o.error());
                    auto id = EtcdCodec::int64(*o, QStringLiteral("ID"), where);
                    auto granted = EtcdCodec::int64(*o, QStringLiteral("TTL"), where);
                    if (!id)
                        return done(id.error());
                    if (!granted)
                        return done(granted.error());
                    if (*id == 0 || *granted <= 0)
                        return done(Error{QStringLiteral("etcd-malformed"),
                                          QStringLiteral("lease grant: no ID or TTL")});
                    done(Lease{*id, Duration(*granted * 1000)});
                });
}

void EtcdStore::keepAlive(std::int64_t lease, Answer<Duration> done)
{
    // The gateway answers a unary keepalive as one stream message: {"result": {...}}.
    m_wire.call(
        QStringLiteral("/v3/lease/keepalive"),
        {{QStringLiteral("ID"), EtcdCodec::int64Text(lease)}}, [done](Result<QByteArray> answer) {
            if (!answer)
                return done(answer.error());
            done(ttlOf(*answer, QStringLiteral("result"), QStringLiteral("lease keepalive")));
        });
}

void EtcdStore::timeToLive(std::int64_t lease, Answer<Duration> done)
{
    m_wire.call(QStringLiteral("/v3/lease/timetolive"),
                {{QStringLiteral("ID"), EtcdCodec::int64Text(lease)}},
                [done](Result<QByteArray> answer) {
                    if (!answer)
                        return done(answer.error());
                    done(ttlOf(*answer, {}, QStringLiteral("lease timetolive")));
                });
}

void EtcdStore::revokeLease(std::int64_t lease, Answer<void> done)
{
    m_wire.call(QStringLiteral("/v3/lease/revoke"),
                {{QStringLiteral("ID"), EtcdCodec::int64Text(lease)}},
                [done](Result<QByteArray> answer) {
                    if (!answer)
                        return done(answer.error());
                    done({});
                });
}

void EtcdStore::range(const QByteArray &key, const QByteArray &rangeEnd, std::int64_t revision,
                      Answer<KeyRange> done)
{
    QJsonObject body{{QStringLiteral("key"), EtcdCodec::base64(key)}};
    if (!rangeEnd.isEmpty())
        body.insert(QStringLiteral("range_end"), EtcdCodec::base64(rangeEnd));
    if (revision > 0)
        body.insert(QStringLiteral("revision"), EtcdCodec::int64Text(revision));
    m_wire.call(QStringLiteral("/v3/kv/range"), body, [done](Result<QByteArray> answer) {
        if (!answer)
            return done(answer.error());
        done(EtcdCodec::range(*answer));
    });
}

void EtcdStore::put(const QByteArray &key, const QByteArray &value, std::int64_t lease,
                    Answer<std::int64_t> done)
{
    QJsonObject body{{QStringLiteral("key"), EtcdCodec::base64(key)},
                     {QStringLiteral("value"), EtcdCodec::base64(value)}};
    if (lease != 0)
        body.insert(QStringLiteral("lease"), EtcdCodec::int64Text(lease));
    m_wire.call(QStringLiteral("/v3/kv/put"), body, [done](Result<QByteArray> answer) {
        if (!answer)
            return done(answer.error());
        auto o = EtcdCodec::object(*answer, QStringLiteral("put"));
        if (!o)
            return done(o.error());
        // The put's header revision is the key's new mod_revision.
        done(EtcdCodec::headerRevision(*o, QStringLiteral("put")));
    });
}

void EtcdStore::create(const QByteArray &key, const QByteArray &value, std::int64_t lease,
                       Answer<bool> done)
{
    QJsonObject put{{QStringLiteral("key"), EtcdCodec::base64(key)},
                    {QStringLiteral("value"), EtcdCodec::base64(value)}};
    if (lease != 0)
        put.insert(QStringLiteral("lease"), EtcdCodec::int64Text(lease));
    // A key that does not exist has create revision 0.
    txnIfCreatedAt(key, 0, {{QStringLiteral("request_put"), put}}, QStringLiteral("create"),
                   std::move(done));
}

void EtcdStore::removeIfCreatedAt(const QByteArray &key, std::int64_t createRevision,
                                  Answer<bool> done)
{
    txnIfCreatedAt(key, createRevision,
                   {{QStringLiteral("request_delete_range"),
                     QJsonObject{{QStringLiteral("key"), EtcdCodec::base64(key)}}}},
                   QStringLiteral("guarded delete"), std::move(done));
}

void EtcdStore::txnIfCreatedAt(const QByteArray &key, std::int64_t createRevision,
                               const QJsonObject &operation, const QString &where,
                               Answer<bool> done)
{
    const QJsonObject compare{
        {QStringLiteral("key"), EtcdCodec::base64(key)},
        {QStringLiteral("target"), QStringLiteral("CREATE")},
        {QStringLiteral("result"), QStringLiteral("EQUAL")},
        {QStringLiteral("create_revision"), EtcdCodec::int64Text(createRevision)}};
    m_wire.call(QStringLiteral("/v3/kv/txn"),
                {{QStringLiteral("compare"), QJsonArray{compare}},
                 {QStringLiteral("success"), QJsonArray{operation}}},
                [done, where](Result<QByteArray> answer) {
                    if (!answer)
                        return done(answer.error());
                    auto o = EtcdCodec::object(*answer, where);
                    if (!o)
                        return done(o.error());
                    done(o->value(QStringLiteral("succeeded")).toBool());
                });
}

void EtcdStore::openWatch(const QList<WatchRequest> &requests, Message message, Ended ended)
{
    QList<QJsonObject> creates;
    for (const WatchRequest &r : requests) {
        QJsonObject create{
            {QStringLiteral("key"), EtcdCodec::base64(r.key)},
            {QStringLiteral("start_revision"), EtcdCodec::int64Text(r.startRevision)},
            {QStringLiteral("progress_notify"), true},
            // Explicit ids: a message says which watch it belongs to.
            {QStringLiteral("watch_id"), EtcdCodec::int64Text(r.id)}};
        if (!r.rangeEnd.isEmpty())
            create.insert(QStringLiteral("range_end"), EtcdCodec::base64(r.rangeEnd));
        creates.append({{QStringLiteral("create_request"), create}});
    }
    m_wire.openWatch(
        creates, [message](const QByteArray &line) { message(EtcdCodec::watchLine(line)); },
        std::move(ended));
}

void EtcdStore::closeWatch()
{
    m_wire.closeWatch();
}

QString EtcdStore::address() const
{
    return QStringLiteral("etcd ") + m_wire.address();
}

} // namespace rebound
