#include "PolicyFeed.h"

#include "EtcdWire.h"
#include "JsonLog.h"
#include "PolicyStore.h"

#include <QJsonDocument>

#include <climits>

namespace rebound {

PolicyFeed::PolicyFeed(EtcdSession &session, const FleetKeys &keys, PolicyStore &store,
                       QObject *parent)
    : QObject(parent), m_session(session), m_keys(keys), m_store(store)
{
    m_session.watch(
        m_keys.policies(), {},
        {[this](const EtcdRange &r) {
             if (!r.kvs.isEmpty())
                 consider(r.kvs.first());
             else
                 JsonLog::event(
                     lcFleet, QtInfoMsg, QStringLiteral("policy_not_published"),
                     {{QStringLiteral("key"), QString::fromUtf8(m_keys.policies())},
                      {QStringLiteral("cause"), QStringLiteral("keeping the current policies")}});
         },
         [this](const QList<EtcdWatchMessage::Event> &events) {
             for (const EtcdWatchMessage::Event &e : events) {
                 if (e.deleted) {
                     // Never "no policies": an outage of rules is worse than old rules.
                     JsonLog::event(lcFleet, QtWarningMsg, QStringLiteral("policy_delete_ignored"),
                                    {{QStringLiteral("revision"), qint64(e.kv.modRevision)},
                                     {QStringLiteral("cause"),
                                      QStringLiteral("the policy key was deleted; the last good "
                                                     "policies stay")}});
                     continue;
                 }
                 consider(e.kv);
             }
         }});
    // A new lease took the acknowledgement with the old one: put it again.
    connect(&m_session, &EtcdSession::leaseGranted, this, [this] { acknowledge(); });
}

void PolicyFeed::consider(const EtcdKeyValue &kv)
{
    if (kv.modRevision <= m_seenRevision)
        return;
    m_seenRevision = kv.modRevision;
    Result<void> applied;
    if (kv.modRevision > INT_MAX)
        applied = Error{QStringLiteral("policy-revision-too-large"),
                        QStringLiteral("revision %1 is beyond the policy versions this console "
                                       "numbers (at most %2)")
                            .arg(kv.modRevision)
                            .arg(INT_MAX)};
    else
        applied = m_store.adopt(kv.value, QStringLiteral("etcd %1").arg(m_session.wire().address()),
                                int(kv.modRevision));
    m_ackRevision = kv.modRevision;
    m_ackOk = applied.ok();
    m_ackError = applied ? QString() : applied.error().message;
    JsonLog::event(lcFleet, applied ? QtInfoMsg : QtWarningMsg,
                   applied ? QStringLiteral("policy_applied") : QStringLiteral("policy_refused"),
                   {{QStringLiteral("revision"), qint64(kv.modRevision)},
                    {QStringLiteral("member"), m_session.config().member},
                    {QStringLiteral("cause"), applied ? QStringLiteral("published")
                                                      : QStringLiteral("invalid; the last good "
                                                                       "policies stay")},
                    {QStringLiteral("detail"), m_ackError}});
    acknowledge();
    Q_EMIT versionSeen(kv.modRevision, m_ackOk, m_ackError);
}

void PolicyFeed::acknowledge()
{
    if (m_session.lease() == 0 || m_ackRevision == 0)
        return;
    const QJsonObject ack{{QStringLiteral("rev"), qint64(m_ackRevision)},
                          {QStringLiteral("ok"), m_ackOk},
                          {QStringLiteral("error"), m_ackError}};
    m_session.call(
        QStringLiteral("/v3/kv/put"),
        {{QStringLiteral("key"), EtcdCodec::base64(m_keys.policyAck(m_session.config().member))},
         {QStringLiteral("value"),
          EtcdCodec::base64(QJsonDocument(ack).toJson(QJsonDocument::Compact))},
         {QStringLiteral("lease"), EtcdCodec::int64Text(m_session.lease())}},
        {});
}

} // namespace rebound
