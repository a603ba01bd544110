#pragma once

#include "fleet/CoordinationStore.h"
#include "time/Clock.h"
#include "time/RandomSource.h"
#include "time/Time.h"
#include "time/TimerSource.h"

#include <QList>
#include <QObject>

#include <functional>

namespace rebound {

/// A process's connection to the coordination store (etcd) as a fleet member: its lease and its
/// one watch stream, shared by everything the member watches (QNetworkAccessManager runs 6
/// requests per host at once, so a stream per key would starve the calls). Each watched range is
/// read once, then watched from the read's revision + 1 with progress notifications, all in the
/// same stream (one create_request per range, told apart by watch_id).
///
/// Connection: lease grant, then a range of every watched key not yet read, then the stream. A
/// stream that ends resumes each watch from the last revision it saw + 1; a watch canceled
/// because that revision was compacted reads its range again. A stream silent for 2 heartbeats
/// + 1 s is taken as dead (a half-open connection never ends by itself). Failures retry after
/// 0.5 s doubling to 10 s (equal jitter). The lease is kept alive every TTL/3; one that expired
/// is granted anew (leaseGranted again, so lease-bound keys are put again).
///
/// The lease is trusted only by this process's own steady clock: from the moment the grant or
/// the last successful keepalive was *sent*, for the TTL etcd answered. leaseHeld() turns false
/// then, whether or not etcd can be reached — what fenced work ownership relies on.
class FleetSession final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FleetSession)

public:
    struct Config
    {
        QString member; ///< this member's id: unique in the fleet
        Duration leaseTtl{10'000};
        /// etcd's progress-notification interval (--experimental-watch-progress-notify-interval).
        Duration heartbeat{5'000};
    };
    enum class State
    {
        Connecting,
        Live,
        Disconnected,
    };
    /// What a watched range hears: its keys as read (at connection and after a compaction),
    /// then every change.
    struct Watcher
    {
        std::function<void(const KeyRange &)> snapshot;
        std::function<void(const QList<WatchMessage::Event> &)> events;
    };

    FleetSession(CoordinationStore &store, const Clock &clock, TimerSource &timers,
                 RandomSource &rng, Config config, QObject *parent = nullptr);
    ~FleetSession() override;

    /// Watches `key` (and, with `rangeEnd`, every key up to it). Before start().
    void watch(const QByteArray &key, const QByteArray &rangeEnd, Watcher watcher);
    void start();
    // Writes on this connection, bound to the member's lease: `done` hears the answer; a
    // failure also reconnects. Answers to calls of an abandoned connection are dropped.
    void put(const QByteArray &key, const QByteArray &value, std::function<void()> done = {});
    /// Puts only if the key does not exist; `done` hears whether it did.
    void create(const QByteArray &key, const QByteArray &value, std::function<void(bool)> done);
    /// Deletes the key only if it is still the one created at `createRevision`.
    void removeIfCreatedAt(const QByteArray &key, std::int64_t createRevision,
                           std::function<void(bool)> done);
    /// Revokes the lease (the member's keys vanish at once rather than at expiry) and stops;
    /// `done` hears whether the store revoked it (an error: it could not, or no lease was
    /// held).
    void leave(std::function<void(Result<void>)> done);

    const Config &config() const { return m_config; }
    CoordinationStore &store() { return m_store; }
    State state() const { return m_state; }
    /// Why it is not live (empty when live).
    QString lastError() const { return m_lastError; }
    std::int64_t lease() const { return m_lease; }
    /// Whether the lease is still ours by this process's own clock (see the class comment).
    bool leaseHeld() const { return m_lease != 0 && m_clock.steadyNow() < m_leaseHeldUntil; }
    /// When the next reconnect is due, while disconnected.
    std::optional<SteadyTime> retryAt() const { return m_retryAt; }

    static constexpr Duration kFirstRetry{500};
    static constexpr Duration kMaxRetry{10'000};

Q_SIGNALS:
    void stateChanged();
    /// A new lease: keys bound to the previous one are gone; put them again.
    void leaseGranted(std::int64_t lease);
    /// leaseHeld() changed (granted, renewed after running out, or run out by the local clock).
    void leaseHeldChanged(bool held);

private:
    struct Watch
    {
        QByteArray key;
        QByteArray rangeEnd;
        Watcher watcher;
        std::int64_t next = 0; ///< where the watch resumes; 0: read the range first
        bool created = false;
    };
    void connectNow();
    void readRanges();
    void openStream();
    void onMessage(const WatchMessage &m);
    /// `done` for an answer of this connection; a failure reconnects.
    template <typename T, typename F> CoordinationStore::Answer<T> guarded(F done);
    void keepAlive();
    void scheduleKeepAlive();
    void holdLeaseUntil(SteadyTime until);
    void fail(const Error &e);
    void expectLine();
    void setState(State s, const QString &error = {});

    CoordinationStore &m_store;
    const Clock &m_clock;
    TimerSource &m_timers;
    RandomSource &m_rng;
    Config m_config;
    QList<Watch> m_watches;
    State m_state = State::Connecting;
    QString m_lastError;
    std::int64_t m_lease = 0;
    SteadyTime m_leaseHeldUntil{};
    bool m_leaseHeld = false;
    bool m_leaving = false;
    Duration m_retryDelay = kFirstRetry;
    std::optional<SteadyTime> m_retryAt;
    TimerId m_retryTimer = 0;
    TimerId m_keepAliveTimer = 0;
    TimerId m_silenceTimer = 0;
    TimerId m_leaseTimer = 0;
    quint64 m_generation = 0; ///< answers to calls of an abandoned connection are ignored
};

} // namespace rebound
