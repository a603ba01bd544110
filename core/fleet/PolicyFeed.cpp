#include "PolicyFeed.h"

#include "EtcdWire.h"
#include "JsonLog.h"
#include "PolicyStore.h"

#include <QJsonDocument>
#include <QPointer>

#include <climits>

namespace rebound {

PolicyFeed::PolicyFeed(EtcdWire &wire, PolicyStore &store, const Clock &clock, TimerSource &timers,
                       RandomSource &rng, Config config, QObject *parent)
    : QObject(parent), m_wire(wire), m_store(store), m_clock(clock), m_timers(timers), m_rng(rng),
      m_config(std::move(config)), m_keys(m_config.prefix)
{}

PolicyFeed::~PolicyFeed()
{
    m_wire.closeWatch();
    if (m_retryTimer)
        m_timers.cancel(m_retryTimer);
    if (m_keepAliveTimer)
        m_timers.cancel(m_keepAliveTimer);
    if (m_silenceTimer)
        m_timers.cancel(m_silenceTimer);
}

void PolicyFeed::expectLine()
{
    if (m_silenceTimer)
        m_timers.cancel(m_silenceTimer);
    const Duration limit = m_config.heartbeat * 2 + Duration(1000);
    m_silenceTimer = m_timers.schedule(m_clock.steadyNow() + limit, [this, limit] {
        m_silenceTimer = 0;
        fail(Error{QStringLiteral("etcd-watch-silent"),
                   QStringLiteral("/v3/watch: no message for %1 ms (progress notifications "
                                  "expected every %2 ms)")
                       .arg(limit.count())
                       .arg(m_config.heartbeat.count())});
    });
}

void PolicyFeed::start()
{
    connectNow();
}

void PolicyFeed::setState(State s, const QString &error)
{
    if (s == m_state && error == m_lastError)
        return;
    m_state = s;
    m_lastError = error;
    Q_EMIT stateChanged();
}

void PolicyFeed::connectNow()
{
    m_retryTimer = 0;
    m_retryAt.reset();
    const quint64 gen = ++m_generation;
    setState(State::Connecting, m_lastError);
    // The lease first: acknowledgements are bound to it, so they vanish with a dead member.
    auto next = [this, gen] {
        if (gen != m_generation)
            return;
        // Resume where the stream was; a first connection reads the key first.
        if (m_nextRevision > 0)
            watchFrom(m_nextRevision);
        else
            range();
    };
    if (m_lease != 0) {
        next();
        return;
    }
    QPointer<PolicyFeed> self(this);
    m_wire.call(QStringLiteral("/v3/lease/grant"),
                {{QStringLiteral("TTL"),
                  EtcdCodec::int64Text(std::max<qint64>(1, m_config.leaseTtl.count() / 1000))}},
                [self, gen, next](Result<QByteArray> answer) {
                    if (!self || gen != self->m_generation)
                        return;
                    if (!answer)
                        return self->fail(answer.error());
                    auto o = EtcdCodec::object(*answer, QStringLiteral("lease grant"));
                    auto id = o ? EtcdCodec::int64(*o, QStringLiteral("ID"),
                                                   QStringLiteral("lease grant"))
                                : Result<std::int64_t>(o.error());
                    if (!id || *id == 0)
                        return self->fail(id ? Error{QStringLiteral("etcd-malformed"),
                                                     QStringLiteral("lease grant: no ID")}
                                             : id.error());
                    self->m_lease = *id;
                    self->acknowledge();
                    self->scheduleKeepAlive();
                    next();
                });
}

void PolicyFeed::range()
{
    const quint64 gen = m_generation;
    QPointer<PolicyFeed> self(this);
    m_wire.call(
        QStringLiteral("/v3/kv/range"),
        {{QStringLiteral("key"), EtcdCodec::base64(m_keys.policies())}},
        [self, gen](Result<QByteArray> answer) {
            if (!self || gen != self->m_generation)
                return;
            if (!answer)
                return self->fail(answer.error());
            auto r = EtcdCodec::range(*answer);
            if (!r)
                return self->fail(r.error());
            if (!r->kvs.isEmpty())
                self->consider(r->kvs.first());
            else
                JsonLog::event(
                    lcFleet, QtInfoMsg, QStringLiteral("policy_not_published"),
                    {{QStringLiteral("key"), QString::fromUtf8(self->m_keys.policies())},
                     {QStringLiteral("cause"), QStringLiteral("keeping the current policies")}});
            self->watchFrom(r->revision + 1);
        });
}

void PolicyFeed::watchFrom(std::int64_t revision)
{
    m_nextRevision = revision;
    const quint64 gen = m_generation;
    QPointer<PolicyFeed> self(this);
    m_wire.openWatch(
        {{QStringLiteral("create_request"),
          QJsonObject{{QStringLiteral("key"), EtcdCodec::base64(m_keys.policies())},
                      {QStringLiteral("start_revision"), EtcdCodec::int64Text(revision)},
                      {QStringLiteral("progress_notify"), true}}}},
        [self, gen](const QByteArray &line) {
            if (self && gen == self->m_generation)
                self->onLine(line);
        },
        [self, gen](const Error &e) {
            if (self && gen == self->m_generation)
                self->fail(e);
        });
    expectLine();
}

void PolicyFeed::onLine(const QByteArray &line)
{
    expectLine();
    auto m = EtcdCodec::watchLine(line);
    if (!m)
        return fail(m.error());
    if (m->canceled) {
        if (m->compactRevision > 0) {
            // History before compact_revision is gone: read the key as it is now instead.
            JsonLog::event(lcFleet, QtInfoMsg, QStringLiteral("policy_watch_compacted"),
                           {{QStringLiteral("from_revision"), qint64(m_nextRevision)},
                            {QStringLiteral("compact_revision"), qint64(m->compactRevision)}});
            m_wire.closeWatch();
            if (m_silenceTimer)
                m_timers.cancel(std::exchange(m_silenceTimer, 0));
            m_nextRevision = 0;
            range();
            return;
        }
        return fail(Error{QStringLiteral("etcd-watch-canceled"),
                          QStringLiteral("/v3/watch: canceled: %1").arg(m->cancelReason)});
    }
    if (m->created) {
        m_retryDelay = kFirstRetry;
        setState(State::Live);
        JsonLog::event(lcFleet, QtInfoMsg, QStringLiteral("policy_watch_live"),
                       {{QStringLiteral("etcd"), m_wire.address()},
                        {QStringLiteral("from_revision"), qint64(m_nextRevision)}});
        return;
    }
    if (m->events.isEmpty()) {
        // A progress notification: everything up to this revision has been sent.
        m_nextRevision = std::max(m_nextRevision, m->revision + 1);
        return;
    }
    for (const EtcdWatchMessage::Event &e : std::as_const(m->events)) {
        m_nextRevision = std::max(m_nextRevision, e.kv.modRevision + 1);
        if (e.deleted) {
            // Never "no policies": an outage of rules is worse than old rules.
            JsonLog::event(lcFleet, QtWarningMsg, QStringLiteral("policy_delete_ignored"),
                           {{QStringLiteral("revision"), qint64(e.kv.modRevision)},
                            {QStringLiteral("cause"),
                             QStringLiteral("the policy key was deleted; the last good policies "
                                            "stay")}});
            continue;
        }
        consider(e.kv);
    }
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
        applied = m_store.adopt(kv.value, QStringLiteral("etcd %1").arg(m_wire.address()),
                                int(kv.modRevision));
    m_ackRevision = kv.modRevision;
    m_ackOk = applied.ok();
    m_ackError = applied ? QString() : applied.error().message;
    JsonLog::event(lcFleet, applied ? QtInfoMsg : QtWarningMsg,
                   applied ? QStringLiteral("policy_applied") : QStringLiteral("policy_refused"),
                   {{QStringLiteral("revision"), qint64(kv.modRevision)},
                    {QStringLiteral("member"), m_config.member},
                    {QStringLiteral("cause"), applied ? QStringLiteral("published")
                                                      : QStringLiteral("invalid; the last good "
                                                                       "policies stay")},
                    {QStringLiteral("detail"), m_ackError}});
    acknowledge();
    Q_EMIT versionSeen(kv.modRevision, m_ackOk, m_ackError);
}

void PolicyFeed::acknowledge()
{
    if (m_lease == 0 || m_ackRevision == 0)
        return;
    const QJsonObject ack{{QStringLiteral("rev"), qint64(m_ackRevision)},
                          {QStringLiteral("ok"), m_ackOk},
                          {QStringLiteral("error"), m_ackError}};
    QPointer<PolicyFeed> self(this);
    m_wire.call(QStringLiteral("/v3/kv/put"),
                {{QStringLiteral("key"), EtcdCodec::base64(m_keys.policyAck(m_config.member))},
                 {QStringLiteral("value"),
                  EtcdCodec::base64(QJsonDocument(ack).toJson(QJsonDocument::Compact))},
                 {QStringLiteral("lease"), EtcdCodec::int64Text(m_lease)}},
                [self, gen = m_generation](Result<QByteArray> answer) {
                    if (self && gen == self->m_generation && !answer)
                        self->fail(answer.error());
                });
}

void PolicyFeed::scheduleKeepAlive()
{
    if (m_keepAliveTimer)
        return;
    m_keepAliveTimer = m_timers.schedule(m_clock.steadyNow() + m_config.leaseTtl / 3, [this] {
        m_keepAliveTimer = 0;
        keepAlive();
    });
}

void PolicyFeed::keepAlive()
{
    if (m_lease == 0) {
        scheduleKeepAlive();
        return;
    }
    QPointer<PolicyFeed> self(this);
    m_wire.call(QStringLiteral("/v3/lease/keepalive"),
                {{QStringLiteral("ID"), EtcdCodec::int64Text(m_lease)}},
                [self](Result<QByteArray> answer) {
                    if (!self)
                        return;
                    self->scheduleKeepAlive();
                    if (!answer)
                        return self->fail(answer.error());
                    auto o = EtcdCodec::object(*answer, QStringLiteral("lease keepalive"));
                    auto ttl = o ? EtcdCodec::int64(o->value(QStringLiteral("result")).toObject(),
                                                    QStringLiteral("TTL"),
                                                    QStringLiteral("lease keepalive.result"))
                                 : Result<std::int64_t>(o.error());
                    if (!ttl)
                        return self->fail(ttl.error());
                    if (*ttl == 0) {
                        // Expired (etcd was away longer than the TTL): the acknowledgement went
                        // with it. A new lease, and the acknowledgement again.
                        JsonLog::event(lcFleet, QtWarningMsg, QStringLiteral("lease_expired"),
                                       {{QStringLiteral("member"), self->m_config.member},
                                        {QStringLiteral("lease"), QString::number(self->m_lease)}});
                        self->m_lease = 0;
                        self->fail(Error{QStringLiteral("lease-expired"),
                                         QStringLiteral("the member's lease expired")});
                    }
                });
}

void PolicyFeed::fail(const Error &e)
{
    if (m_retryTimer)
        return; // already waiting to reconnect
    m_wire.closeWatch();
    if (m_silenceTimer)
        m_timers.cancel(std::exchange(m_silenceTimer, 0));
    ++m_generation;
    // Equal jitter: between half the delay and the delay, so members do not come back at once.
    const Duration d = m_retryDelay;
    const Duration wait =
        d / 2 + Duration(static_cast<std::int64_t>(m_rng.nextUnit() * double((d / 2).count())));
    m_retryDelay = std::min(kMaxRetry, d * 2);
    m_retryAt = m_clock.steadyNow() + wait;
    JsonLog::event(lcFleet, QtWarningMsg, QStringLiteral("etcd_disconnected"),
                   {{QStringLiteral("etcd"), m_wire.address()},
                    {QStringLiteral("cause"), e.message},
                    {QStringLiteral("retry_in_ms"), qint64(wait.count())}});
    m_retryTimer = m_timers.schedule(*m_retryAt, [this] { connectNow(); });
    setState(State::Disconnected, e.message);
}

} // namespace rebound
