#pragma once

// Test helper: a coordination store held in this process — the second CoordinationStore beside
// etcd. Keys with create/mod revisions, leases that expire on the injected clock, a change log
// that watches replay from any revision, progress notifications, and a connection that can be
// cut off (a partition). Every answer and message comes `latency` after the call, on the
// injected timers: a manual clock drives it to the millisecond.
#include "fleet/CoordinationStore.h"
#include "time/Clock.h"
#include "time/TimerSource.h"

#include <QHash>
#include <QMap>
#include <QSet>

#include <memory>

class InMemoryCoordination final
{
    struct LeaseState
    {
        rebound::Duration ttl{0};
        rebound::SteadyTime expiresAt{};
    };
    /// What one revision changed: a put or delete, or every key of an ended lease at once.
    struct Change
    {
        std::int64_t revision = 0;
        QList<rebound::WatchMessage::Event> events;
    };

public:
    class Connection;

    InMemoryCoordination(const rebound::Clock &clock, rebound::TimerSource &timers,
                         rebound::Duration latency = rebound::Duration(5),
                         rebound::Duration progressEvery = rebound::Duration(500))
        : m_clock(clock), m_timers(timers), m_latency(latency), m_progressEvery(progressEvery),
          m_alive(std::make_shared<bool>(true))
    {}
    /// Timers still due after it (the clock outlives it) find it gone and do nothing.
    ~InMemoryCoordination() { *m_alive = false; }
    InMemoryCoordination(const InMemoryCoordination &) = delete;
    InMemoryCoordination &operator=(const InMemoryCoordination &) = delete;

    std::unique_ptr<Connection> connect(const QString &name)
    {
        return std::make_unique<Connection>(*this, name);
    }
    std::int64_t revision() const { return m_revision; }
    /// The keys as they are now.
    const QMap<QByteArray, rebound::StoredKey> &keys() const { return m_kvs; }
    std::int64_t leaseOf(const QByteArray &key) const { return m_kvs.value(key).lease; }

    class Connection final : public rebound::CoordinationStore
    {
    public:
        Connection(InMemoryCoordination &store, const QString &name)
            : m_store(store), m_name(name), m_alive(std::make_shared<bool>(true))
        {
            m_store.m_connections.insert(this);
        }
        ~Connection() override
        {
            closeWatch();
            *m_alive = false;
            m_store.m_connections.remove(this);
        }
        Connection(const Connection &) = delete;
        Connection &operator=(const Connection &) = delete;

        /// Cut off (true): every call fails and the stream ends, as in a partition; the store
        /// and its leases go on without this member.
        void setCut(bool cut)
        {
            m_cut = cut;
            if (cut && m_watch)
                endWatch(
                    rebound::Error{QStringLiteral("cut"), m_name + QStringLiteral(": cut off")});
        }

        void grantLease(rebound::Duration ttl, Answer<Lease> done) override
        {
            answer(std::move(done), [this, ttl]() -> rebound::Result<Lease> {
                return Lease{m_store.grant(ttl), ttl};
            });
        }
        void keepAlive(std::int64_t lease, Answer<rebound::Duration> done) override
        {
            answer(std::move(done), [this, lease]() -> rebound::Result<rebound::Duration> {
                return m_store.renew(lease);
            });
        }
        void timeToLive(std::int64_t lease, Answer<rebound::Duration> done) override
        {
            answer(std::move(done), [this, lease]() -> rebound::Result<rebound::Duration> {
                const auto it = m_store.m_leases.constFind(lease);
                if (it == m_store.m_leases.constEnd())
                    return rebound::Duration(-1000);
                return it->expiresAt - m_store.m_clock.steadyNow();
            });
        }
        void revokeLease(std::int64_t lease, Answer<void> done) override
        {
            answer(std::move(done), [this, lease]() -> rebound::Result<void> {
                m_store.endLease(lease);
                return {};
            });
        }
        void range(const QByteArray &key, const QByteArray &rangeEnd, std::int64_t revision,
                   Answer<rebound::KeyRange> done) override
        {
            answer(std::move(done),
                   [this, key, rangeEnd, revision]() -> rebound::Result<rebound::KeyRange> {
                       return m_store.read(key, rangeEnd, revision);
                   });
        }
        void put(const QByteArray &key, const QByteArray &value, std::int64_t lease,
                 Answer<std::int64_t> done) override
        {
            answer(std::move(done), [=, this]() -> rebound::Result<std::int64_t> {
                if (lease != 0 && !m_store.m_leases.contains(lease))
                    return rebound::Error{QStringLiteral("lease-not-found"),
                                          QStringLiteral("put: lease not found")};
                m_store.write(key, value, lease);
                return m_store.m_revision;
            });
        }
        void create(const QByteArray &key, const QByteArray &value, std::int64_t lease,
                    Answer<bool> done) override
        {
            answer(std::move(done), [=, this]() -> rebound::Result<bool> {
                if (m_store.m_kvs.contains(key))
                    return false;
                if (lease != 0 && !m_store.m_leases.contains(lease))
                    return rebound::Error{QStringLiteral("lease-not-found"),
                                          QStringLiteral("create: lease not found")};
                m_store.write(key, value, lease);
                return true;
            });
        }
        void removeIfCreatedAt(const QByteArray &key, std::int64_t createRevision,
                               Answer<bool> done) override
        {
            answer(std::move(done), [=, this]() -> rebound::Result<bool> {
                const auto it = m_store.m_kvs.constFind(key);
                if (it == m_store.m_kvs.constEnd() || it->createRevision != createRevision)
                    return false;
                m_store.remove(key);
                return true;
            });
        }
        void openWatch(const QList<rebound::WatchRequest> &requests, Message message,
                       Ended ended) override
        {
            closeWatch();
            const std::uint64_t gen = ++m_watchGeneration;
            if (m_cut) {
                later([this, gen, ended] {
                    if (gen == m_watchGeneration)
                        ended(rebound::Error{QStringLiteral("cut"),
                                             m_name + QStringLiteral(": cut off")});
                });
                return;
            }
            m_watch = Watch{requests, std::move(message), std::move(ended)};
            // Created, then everything since each start revision, in the store's order.
            for (const rebound::WatchRequest &r : requests) {
                rebound::WatchMessage created;
                created.watchId = r.id;
                created.revision = m_store.m_revision;
                created.created = true;
                send(created);
            }
            for (const Change &c : std::as_const(m_store.m_log))
                deliver(c, true);
            m_progressTimer = m_store.m_timers.schedule(
                m_store.m_clock.steadyNow() + m_store.m_progressEvery, [this] { progress(); });
        }
        void closeWatch() override
        {
            ++m_watchGeneration;
            m_watch.reset();
            if (m_progressTimer)
                m_store.m_timers.cancel(std::exchange(m_progressTimer, 0));
        }
        QString address() const override { return QStringLiteral("in-process ") + m_name; }

    private:
        friend class InMemoryCoordination;
        struct Watch
        {
            QList<rebound::WatchRequest> requests;
            Message message;
            Ended ended;
        };

        /// Runs `op` now (the store's state moves at the call) and answers after the latency.
        template <typename T, typename Op> void answer(Answer<T> done, Op op)
        {
            rebound::Result<T> r =
                m_cut ? rebound::Result<T>(rebound::Error{QStringLiteral("cut"),
                                                          m_name + QStringLiteral(": cut off")})
                      : op();
            later([done = std::move(done), r = std::move(r)] { done(r); });
        }
        void later(std::function<void()> f)
        {
            m_store.m_timers.schedule(m_store.m_clock.steadyNow() + m_store.m_latency,
                                      [alive = m_alive, f = std::move(f)] {
                                          if (*alive)
                                              f();
                                      });
        }
        void send(const rebound::WatchMessage &m)
        {
            later([this, gen = m_watchGeneration, m] {
                if (!m_watch || gen != m_watchGeneration)
                    return;
                // A copy: the handler may close the watch it runs in.
                const Message message = m_watch->message;
                message(m);
            });
        }
        /// A change reaches each request whose range holds the key (and, on a replay, whose
        /// start it is not before).
        void deliver(const Change &c, bool replay);
        void progress()
        {
            m_progressTimer = m_store.m_timers.schedule(
                m_store.m_clock.steadyNow() + m_store.m_progressEvery, [this] { progress(); });
            for (const rebound::WatchRequest &r : m_watch->requests) {
                rebound::WatchMessage m;
                m.watchId = r.id;
                m.revision = m_store.m_revision;
                send(m);
            }
        }
        void endWatch(const rebound::Error &why)
        {
            Ended ended = m_watch->ended;
            closeWatch();
            later([ended, why] { ended(why); });
        }

        InMemoryCoordination &m_store;
        QString m_name;
        std::shared_ptr<bool> m_alive;
        bool m_cut = false;
        std::optional<Watch> m_watch;
        std::uint64_t m_watchGeneration = 0;
        rebound::TimerId m_progressTimer = 0;
    };

private:
    static bool inRange(const QByteArray &key, const rebound::WatchRequest &r)
    {
        if (r.rangeEnd.isEmpty())
            return key == r.key;
        return key >= r.key && (r.rangeEnd == QByteArray(1, '\0') || key < r.rangeEnd);
    }

    std::int64_t grant(rebound::Duration ttl)
    {
        const std::int64_t id = ++m_nextLease;
        m_leases.insert(id, {ttl, {}});
        renew(id);
        return id;
    }
    rebound::Duration renew(std::int64_t lease)
    {
        const auto it = m_leases.find(lease);
        if (it == m_leases.end())
            return rebound::Duration(0); // expired: the member needs a new one
        it->expiresAt = m_clock.steadyNow() + it->ttl;
        m_timers.schedule(it->expiresAt, [this, alive = m_alive, lease] {
            if (!*alive)
                return;
            const auto at = m_leases.constFind(lease);
            if (at != m_leases.constEnd() && at->expiresAt <= m_clock.steadyNow())
                endLease(lease);
        });
        return it->ttl;
    }
    /// Ends the lease and deletes its keys in one revision, one watch message (as etcd does).
    void endLease(std::int64_t lease)
    {
        if (!m_leases.remove(lease))
            return;
        QList<rebound::WatchMessage::Event> gone;
        for (const rebound::StoredKey &kv : m_kvs.values()) {
            if (kv.lease != lease)
                continue;
            rebound::StoredKey deleted;
            deleted.key = kv.key;
            gone << rebound::WatchMessage::Event{true, deleted};
        }
        if (gone.isEmpty())
            return;
        ++m_revision;
        for (rebound::WatchMessage::Event &e : gone) {
            e.kv.modRevision = m_revision;
            m_kvs.remove(e.kv.key);
        }
        record(gone);
    }
    void write(const QByteArray &key, const QByteArray &value, std::int64_t lease)
    {
        rebound::StoredKey kv;
        kv.key = key;
        kv.value = value;
        kv.modRevision = ++m_revision;
        kv.createRevision = m_kvs.contains(key) ? m_kvs.value(key).createRevision : m_revision;
        kv.lease = lease;
        m_kvs.insert(key, kv);
        record({{false, kv}});
    }
    void remove(const QByteArray &key)
    {
        rebound::StoredKey kv;
        kv.key = key;
        kv.modRevision = ++m_revision;
        m_kvs.remove(key);
        record({{true, kv}});
    }
    void record(const QList<rebound::WatchMessage::Event> &events)
    {
        m_log.append({m_revision, events});
        for (Connection *c : std::as_const(m_connections))
            c->deliver(m_log.last(), false);
    }
    rebound::Result<rebound::KeyRange> read(const QByteArray &key, const QByteArray &rangeEnd,
                                            std::int64_t revision) const
    {
        const rebound::WatchRequest r{key, rangeEnd, 0, 0};
        QMap<QByteArray, rebound::StoredKey> at;
        if (revision <= 0 || revision >= m_revision) {
            at = m_kvs;
        } else {
            for (const Change &c : m_log) { // the whole log is kept: nothing is compacted
                if (c.revision > revision)
                    break;
                for (const rebound::WatchMessage::Event &e : c.events) {
                    if (e.deleted)
                        at.remove(e.kv.key);
                    else
                        at.insert(e.kv.key, e.kv);
                }
            }
        }
        rebound::KeyRange out;
        out.revision = m_revision; // as etcd: the store's revision now, whatever was asked
        for (const rebound::StoredKey &kv : at)
            if (inRange(kv.key, r))
                out.kvs << kv;
        return out;
    }

    const rebound::Clock &m_clock;
    rebound::TimerSource &m_timers;
    rebound::Duration m_latency;
    rebound::Duration m_progressEvery;
    std::int64_t m_revision = 1;
    std::int64_t m_nextLease = 0;
    QMap<QByteArray, rebound::StoredKey> m_kvs;
    QHash<std::int64_t, LeaseState> m_leases;
    QList<Change> m_log;
    QSet<Connection *> m_connections;
    std::shared_ptr<bool> m_alive;
};

inline void InMemoryCoordination::Connection::deliver(const Change &c, bool replay)
{
    if (!m_watch)
        return;
    for (const rebound::WatchRequest &r : std::as_const(m_watch->requests)) {
        // A replay covers the log from the start revision on; 0 means from now (as etcd).
        if (replay && (r.startRevision == 0 || c.revision < r.startRevision))
            continue;
        rebound::WatchMessage m;
        m.watchId = r.id;
        m.revision = c.revision;
        for (const rebound::WatchMessage::Event &e : c.events)
            if (inRange(e.kv.key, r))
                m.events << e;
        if (!m.events.isEmpty())
            send(m);
    }
}
