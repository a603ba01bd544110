#pragma once

#include "Clock.h"
#include "EtcdCodec.h"
#include "FleetKeys.h"
#include "RandomSource.h"
#include "Time.h"
#include "TimerSource.h"

#include <QObject>

namespace rebound {

class EtcdWire;
class PolicyStore;

/// A member's policies from the config centre: reads the policy key, watches it, validates
/// each new version before applying it (an invalid one is refused and the last good set stays),
/// and acknowledges every version it looked at under its own lease, so the fleet can see who
/// runs which version and who refused it and why. A DELETE of the key is never "no policies".
///
/// Connection: lease grant, then range, then watch from the range's revision + 1. A watch that
/// ends resumes from the last revision seen + 1; one canceled because that revision was
/// compacted ranges again. Failures retry after 0.5 s doubling to 10 s (equal jitter). The
/// lease keepalive (every TTL/3) and the watch's progress notifications are the liveness
/// checks: a failing keepalive or a silent stream reconnects.
class PolicyFeed final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PolicyFeed)

public:
    struct Config
    {
        QByteArray prefix = "/rebound";
        QString member; ///< this member's id: unique in the fleet
        Duration leaseTtl{10'000};
        /// etcd's progress-notification interval (--experimental-watch-progress-notify-interval):
        /// a stream silent for 2 intervals + 1 s is taken as dead and opened again. A stream
        /// can hang without closing (a restarted etcd, a half-open connection).
        Duration heartbeat{5'000};
    };
    enum class State
    {
        Connecting,
        Live,
        Disconnected,
    };

    PolicyFeed(EtcdWire &wire, PolicyStore &store, const Clock &clock, TimerSource &timers,
               RandomSource &rng, Config config, QObject *parent = nullptr);
    ~PolicyFeed() override;

    void start();

    State state() const { return m_state; }
    /// Why it is not live (empty when live).
    QString lastError() const { return m_lastError; }
    /// The newest policy revision looked at (applied or refused); 0 before the first.
    std::int64_t seenRevision() const { return m_seenRevision; }
    std::int64_t lease() const { return m_lease; }
    /// When the next reconnect is due, while disconnected.
    std::optional<SteadyTime> retryAt() const { return m_retryAt; }

    static constexpr Duration kFirstRetry{500};
    static constexpr Duration kMaxRetry{10'000};

Q_SIGNALS:
    void stateChanged();
    /// A published version was looked at: applied (ok) or refused with the reason.
    void versionSeen(std::int64_t revision, bool ok, const QString &error);

private:
    void connectNow();
    void range();
    void watchFrom(std::int64_t revision);
    void onLine(const QByteArray &line);
    void consider(const EtcdKeyValue &kv);
    void acknowledge();
    void keepAlive();
    void scheduleKeepAlive();
    void fail(const Error &e);
    void expectLine();
    void setState(State s, const QString &error = {});

    EtcdWire &m_wire;
    PolicyStore &m_store;
    const Clock &m_clock;
    TimerSource &m_timers;
    RandomSource &m_rng;
    Config m_config;
    FleetKeys m_keys;
    State m_state = State::Connecting;
    QString m_lastError;
    std::int64_t m_lease = 0;
    std::int64_t m_seenRevision = 0;
    std::int64_t m_nextRevision = 0; ///< where the watch resumes
    std::int64_t m_ackRevision = 0;
    bool m_ackOk = true;
    QString m_ackError;
    Duration m_retryDelay = kFirstRetry;
    std::optional<SteadyTime> m_retryAt;
    TimerId m_retryTimer = 0;
    TimerId m_keepAliveTimer = 0;
    TimerId m_silenceTimer = 0;
    quint64 m_generation = 0; ///< answers to calls of an abandoned connection are ignored
};

} // namespace rebound
