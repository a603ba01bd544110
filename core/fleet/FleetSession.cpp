#include "fleet/FleetSession.h"

#include "support/JsonLog.h"

#include <QPointer>

#include <memory>

namespace rebound {

FleetSession::FleetSession(CoordinationStore &store, const Clock &clock, TimerSource &timers,
                           RandomSource &rng, Config config, QObject *parent)
    : QObject(parent), m_store(store), m_clock(clock), m_timers(timers), m_rng(rng),
      m_config(std::move(config))
{}

FleetSession::~FleetSession()
{
    m_store.closeWatch();
    for (TimerId id : {m_retryTimer, m_keepAliveTimer, m_silenceTimer, m_leaseTimer})
        if (id)
            m_timers.cancel(id);
}

void FleetSession::watch(const QByteArray &key, const QByteArray &rangeEnd, Watcher watcher)
{
    m_watches.append(Watch{key, rangeEnd, std::move(watcher)});
}

void FleetSession::start()
{
    connectNow();
}

void FleetSession::setState(State s, const QString &error)
{
    if (s == m_state && error == m_lastError)
        return;
    m_state = s;
    m_lastError = error;
    Q_EMIT stateChanged();
}

void FleetSession::expectLine()
{
    if (m_silenceTimer)
        m_timers.cancel(m_silenceTimer);
    const Duration limit = m_config.heartbeat * 2 + Duration(1000);
    m_silenceTimer = m_timers.schedule(m_clock.steadyNow() + limit, [this, limit] {
        m_silenceTimer = 0;
        fail(Error{QStringLiteral("etcd-watch-silent"),
                   QStringLiteral("watch: no message for %1 ms (progress notifications "
                                  "expected every %2 ms)")
                       .arg(limit.count())
                       .arg(m_config.heartbeat.count())});
    });
}

template <typename T, typename F> CoordinationStore::Answer<T> FleetSession::guarded(F done)
{
    return [self = QPointer<FleetSession>(this), gen = m_generation,
            done = std::move(done)](Result<T> answer) {
        if (!self || gen != self->m_generation)
            return;
        if (!answer)
            return self->fail(answer.error());
        if constexpr (std::is_void_v<T>)
            done();
        else
            done(*answer);
    };
}

void FleetSession::put(const QByteArray &key, const QByteArray &value, std::function<void()> done)
{
    m_store.put(key, value, m_lease, guarded<std::int64_t>([done](std::int64_t) {
                    if (done)
                        done();
                }));
}

void FleetSession::create(const QByteArray &key, const QByteArray &value,
                          std::function<void(bool)> done)
{
    m_store.create(key, value, m_lease, guarded<bool>(std::move(done)));
}

void FleetSession::removeIfCreatedAt(const QByteArray &key, std::int64_t createRevision,
                                     std::function<void(bool)> done)
{
    m_store.removeIfCreatedAt(key, createRevision, guarded<bool>(std::move(done)));
}

void FleetSession::connectNow()
{
    m_retryTimer = 0;
    m_retryAt.reset();
    ++m_generation;
    setState(State::Connecting, m_lastError);
    // The lease first: what the member puts is bound to it, so it vanishes with a dead member.
    if (m_lease != 0) {
        readRanges();
        return;
    }
    const SteadyTime sentAt = m_clock.steadyNow();
    m_store.grantLease(
        m_config.leaseTtl,
        guarded<CoordinationStore::Lease>([this, sentAt](const CoordinationStore::Lease &l) {
            m_lease = l.id;
            holdLeaseUntil(sentAt + l.ttl);
            JsonLog::event(lcFleet, QtInfoMsg, QStringLiteral("lease_granted"),
                           {{QStringLiteral("member"), m_config.member},
                            {QStringLiteral("lease"), QString::number(l.id)},
                            {QStringLiteral("ttl_s"), qint64(l.ttl.count() / 1000)}});
            Q_EMIT leaseGranted(l.id);
            scheduleKeepAlive();
            readRanges();
        }));
}

void FleetSession::readRanges()
{
    const quint64 gen = m_generation;
    auto pending = std::make_shared<int>(0);
    for (const Watch &w : std::as_const(m_watches))
        *pending += w.next == 0 ? 1 : 0;
    if (*pending == 0) {
        openStream();
        return;
    }
    for (qsizetype i = 0; i < m_watches.size(); ++i) {
        if (m_watches[i].next != 0)
            continue;
        m_store.range(m_watches[i].key, m_watches[i].rangeEnd, 0,
                      guarded<KeyRange>([this, gen, i, pending](const KeyRange &r) {
                          Watch &w = m_watches[i];
                          w.next = r.revision + 1;
                          if (w.watcher.snapshot)
                              w.watcher.snapshot(r);
                          // (A snapshot's handler may have failed the connection meanwhile.)
                          if (--*pending == 0 && gen == m_generation)
                              openStream();
                      }));
    }
}

void FleetSession::openStream()
{
    QList<WatchRequest> requests;
    for (qsizetype i = 0; i < m_watches.size(); ++i) {
        Watch &w = m_watches[i];
        w.created = false;
        requests.append({w.key, w.rangeEnd, w.next, i + 1}); // ids 1…: a message says which
    }
    const quint64 gen = m_generation;
    QPointer<FleetSession> self(this);
    m_store.openWatch(
        requests,
        [self, gen](Result<WatchMessage> m) {
            if (!self || gen != self->m_generation)
                return;
            self->expectLine();
            if (!m)
                return self->fail(m.error());
            self->onMessage(*m);
        },
        [self, gen](const Error &e) {
            if (self && gen == self->m_generation)
                self->fail(e);
        });
    expectLine();
}

void FleetSession::onMessage(const WatchMessage &m)
{
    if (m.watchId < 1 || m.watchId > m_watches.size())
        return fail(Error{QStringLiteral("etcd-malformed"),
                          QStringLiteral("watch: a message for watch %1, which was not "
                                         "asked for")
                              .arg(m.watchId)});
    Watch &w = m_watches[m.watchId - 1];
    if (m.canceled) {
        if (m.compactRevision > 0) {
            // History before compact_revision is gone: read the range as it is now instead.
            JsonLog::event(lcFleet, QtInfoMsg, QStringLiteral("watch_compacted"),
                           {{QStringLiteral("key"), QString::fromUtf8(w.key)},
                            {QStringLiteral("from_revision"), qint64(w.next)},
                            {QStringLiteral("compact_revision"), qint64(m.compactRevision)}});
            m_store.closeWatch();
            if (m_silenceTimer)
                m_timers.cancel(std::exchange(m_silenceTimer, 0));
            ++m_generation;
            w.next = 0;
            readRanges();
            return;
        }
        return fail(Error{QStringLiteral("etcd-watch-canceled"),
                          QStringLiteral("watch: canceled: %1").arg(m.cancelReason)});
    }
    if (m.created) {
        w.created = true;
        if (std::all_of(m_watches.cbegin(), m_watches.cend(),
                        [](const Watch &x) { return x.created; })) {
            m_retryDelay = kFirstRetry;
            setState(State::Live);
            JsonLog::event(lcFleet, QtInfoMsg, QStringLiteral("fleet_watch_live"),
                           {{QStringLiteral("store"), m_store.address()},
                            {QStringLiteral("member"), m_config.member},
                            {QStringLiteral("watches"), m_watches.size()}});
        }
        return;
    }
    if (m.events.isEmpty()) {
        // A progress notification: everything up to this revision has been sent.
        w.next = std::max(w.next, m.revision + 1);
        return;
    }
    for (const WatchMessage::Event &e : std::as_const(m.events))
        w.next = std::max(w.next, e.kv.modRevision + 1);
    if (w.watcher.events)
        w.watcher.events(m.events);
}

void FleetSession::scheduleKeepAlive()
{
    if (m_keepAliveTimer || m_leaving)
        return;
    m_keepAliveTimer = m_timers.schedule(m_clock.steadyNow() + m_config.leaseTtl / 3, [this] {
        m_keepAliveTimer = 0;
        keepAlive();
    });
}

void FleetSession::keepAlive()
{
    if (m_lease == 0) {
        scheduleKeepAlive();
        return;
    }
    const SteadyTime sentAt = m_clock.steadyNow();
    QPointer<FleetSession> self(this);
    m_store.keepAlive(m_lease, [self, sentAt, lease = m_lease](Result<Duration> ttl) {
        if (!self || self->m_leaving || lease != self->m_lease)
            return;
        self->scheduleKeepAlive();
        if (!ttl)
            return self->fail(ttl.error());
        if (ttl->count() > 0) {
            self->holdLeaseUntil(sentAt + *ttl);
            return;
        }
        // Expired (the store was away longer than the TTL): everything bound to it went with
        // it. A new lease, and those keys again.
        JsonLog::event(lcFleet, QtWarningMsg, QStringLiteral("lease_expired"),
                       {{QStringLiteral("member"), self->m_config.member},
                        {QStringLiteral("lease"), QString::number(self->m_lease)}});
        self->m_lease = 0;
        self->holdLeaseUntil(self->m_clock.steadyNow());
        self->fail(
            Error{QStringLiteral("lease-expired"), QStringLiteral("the member's lease expired")});
    });
}

void FleetSession::holdLeaseUntil(SteadyTime until)
{
    m_leaseHeldUntil = until;
    if (m_leaseTimer)
        m_timers.cancel(std::exchange(m_leaseTimer, 0));
    const bool held = leaseHeld();
    if (held)
        m_leaseTimer = m_timers.schedule(until, [this] {
            m_leaseTimer = 0;
            if (m_leaseHeld && !leaseHeld()) {
                m_leaseHeld = false;
                JsonLog::event(lcFleet, QtWarningMsg, QStringLiteral("lease_lapsed"),
                               {{QStringLiteral("member"), m_config.member},
                                {QStringLiteral("cause"),
                                 QStringLiteral("no keepalive answered within the TTL; acting "
                                                "on nothing that needs the lease")}});
                Q_EMIT leaseHeldChanged(false);
            }
        });
    if (held != m_leaseHeld) {
        m_leaseHeld = held;
        Q_EMIT leaseHeldChanged(held);
    }
}

void FleetSession::fail(const Error &e)
{
    if (m_retryTimer || m_leaving)
        return; // already waiting to reconnect, or gone
    m_store.closeWatch();
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
                   {{QStringLiteral("store"), m_store.address()},
                    {QStringLiteral("cause"), e.message},
                    {QStringLiteral("retry_in_ms"), qint64(wait.count())}});
    m_retryTimer = m_timers.schedule(*m_retryAt, [this] { connectNow(); });
    setState(State::Disconnected, e.message);
}

void FleetSession::leave(std::function<void(Result<void>)> done)
{
    m_leaving = true;
    m_store.closeWatch();
    ++m_generation;
    for (TimerId *id : {&m_retryTimer, &m_keepAliveTimer, &m_silenceTimer, &m_leaseTimer})
        if (*id)
            m_timers.cancel(std::exchange(*id, 0));
    const std::int64_t lease = std::exchange(m_lease, 0);
    if (lease == 0) {
        done(Error{QStringLiteral("no-lease"), QStringLiteral("no lease held")});
        return;
    }
    m_store.revokeLease(lease, std::move(done));
}

} // namespace rebound
