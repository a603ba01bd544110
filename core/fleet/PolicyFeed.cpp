#include "fleet/PolicyFeed.h"

#include "policy/PolicyStore.h"
#include "support/JsonLog.h"

#include <QJsonDocument>
#include <QPointer>

#include <climits>

namespace rebound {

PolicyFeed::PolicyFeed(FleetSession &session, const FleetKeys &keys, PolicyStore &store,
                       QObject *parent)
    : QObject(parent), m_session(session), m_keys(keys), m_store(store)
{
    m_session.watch(
        m_keys.policies(), {},
        {[this](const KeyRange &r) {
             if (!r.kvs.isEmpty())
                 consider(r.kvs.first());
             else
                 JsonLog::event(
                     lcFleet, QtInfoMsg, QStringLiteral("policy_not_published"),
                     {{QStringLiteral("key"), QString::fromUtf8(m_keys.policies())},
                      {QStringLiteral("cause"), QStringLiteral("keeping the current policies")}});
         },
         [this](const QList<WatchMessage::Event> &events) {
             for (const WatchMessage::Event &e : events) {
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
    connect(&m_session, &FleetSession::leaseGranted, this, [this] { acknowledge(); });
}

void PolicyFeed::consider(const StoredKey &kv)
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
        applied = m_store.adopt(kv.value, m_session.store().address(), int(kv.modRevision));
    m_ackRevision = kv.modRevision;
    m_ackOk = applied.ok();
    m_ackError = applied ? QString() : applied.error().message;
    if (applied)
        m_appliedRevision = kv.modRevision;
    else if (m_appliedRevision == 0)
        lookBack(kv.modRevision - 1, kv.modRevision, m_ackError);
    else // every member that refuses says what it runs, in the same words
        m_ackError +=
            QStringLiteral("; runs version %1, the last valid one").arg(m_appliedRevision);
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

void PolicyFeed::lookBack(std::int64_t revision, std::int64_t refused, const QString &why)
{
    if (revision <= 0)
        return settleOn(refused, why,
                        QStringLiteral("runs the built-in defaults: no earlier version"));
    // On the store, not the session: a compacted revision is an answer here, not a reason to
    // reconnect.
    QPointer<PolicyFeed> self(this);
    m_session.store().range(
        m_keys.policies(), {}, revision, [self, refused, why](Result<KeyRange> range) {
            if (!self || self->m_appliedRevision != 0 || self->m_seenRevision != refused)
                return; // a newer version came meanwhile, and was looked at on its own
            if (!range)
                return self->settleOn(
                    refused, why,
                    QStringLiteral("runs the built-in defaults: no earlier version to read (%1)")
                        .arg(range.error().message));
            if (range->kvs.isEmpty())
                return self->settleOn(
                    refused, why, QStringLiteral("runs the built-in defaults: no earlier version"));
            const StoredKey &old = range->kvs.first();
            const auto applied =
                old.modRevision > INT_MAX
                    ? Result<void>(Error{QStringLiteral("policy-revision-too-large"), {}})
                    : self->m_store.adopt(old.value,
                                          QStringLiteral("%1 (the last valid version)")
                                              .arg(self->m_session.store().address()),
                                          int(old.modRevision));
            if (!applied)
                return self->lookBack(old.modRevision - 1, refused, why);
            self->m_appliedRevision = old.modRevision;
            self->settleOn(
                refused, why,
                QStringLiteral("runs version %1, the last valid one").arg(old.modRevision));
        });
}

void PolicyFeed::settleOn(std::int64_t refused, const QString &why, const QString &runs)
{
    m_ackError = why + QStringLiteral("; ") + runs;
    JsonLog::event(lcFleet, QtWarningMsg, QStringLiteral("policy_fallback"),
                   {{QStringLiteral("refused"), qint64(refused)},
                    {QStringLiteral("member"), m_session.config().member},
                    {QStringLiteral("cause"), runs},
                    {QStringLiteral("detail"), why}});
    acknowledge();
    Q_EMIT versionSeen(refused, false, m_ackError);
}

void PolicyFeed::acknowledge()
{
    if (m_session.lease() == 0 || m_ackRevision == 0)
        return;
    const QJsonObject ack{{QStringLiteral("rev"), qint64(m_ackRevision)},
                          {QStringLiteral("ok"), m_ackOk},
                          {QStringLiteral("error"), m_ackError}};
    m_session.put(m_keys.policyAck(m_session.config().member),
                  QJsonDocument(ack).toJson(QJsonDocument::Compact));
}

} // namespace rebound
