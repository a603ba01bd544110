#pragma once

#include "fleet/EtcdAccess.h"
#include "fleet/FleetKeys.h"
#include "fleet/FleetSession.h"
#include "support/SecretSource.h"

#include <QString>
#include <QUrl>

#include <memory>
#include <optional>

namespace rebound {

class DecisionBoard;
class EtcdStore;
class HiredisWire;
class HttpEtcdWire;
class Orchestrator;
class PolicyFeed;
class PolicyStore;
class RandomSource;
class ShardOwner;
class SharedRetryBudget;

/// One member of a fleet, assembled once for the console and `reboundctl watch`: its etcd
/// session, the policies from the config centre, work ownership (wired into the engine), and —
/// with Redis — the shared retry rate limit. leave() takes it out of the fleet at once (the
/// lease revoked); destroyed without leaving, the engine owns nothing either, but its keys stay
/// until the lease runs out.
class FleetMember final
{
    Q_DISABLE_COPY_MOVE(FleetMember)

public:
    struct Redis
    {
        QString host;
        int port = 6379;
        QByteArray password; ///< from a file, the environment or the keychain, never argv

        /// The password's entry in the OS keychain: "redis://HOST:PORT".
        QString keychainEntry() const;
        /// Sets `password` from `file` (--redis-password-file), else `environment`
        /// (REBOUND_REDIS_PASSWORD), else the keychain entry; none anywhere is a Redis without
        /// a password. A keychain that cannot be asked is not an error either (Redis says
        /// NOAUTH if it wanted one): it comes back as a warning.
        Result<void> resolvePassword(const QString &file, const QByteArray &environment,
                                     const SecretSource::Keychain &keychain, QString &warning);
    };
    struct Config
    {
        EtcdAccess etcd;
        QByteArray prefix = "/rebound";
        FleetSession::Config session;
        int shards = 64;
        std::optional<Redis> redis;
    };

    /// `text` as redis://HOST:PORT or HOST:PORT (host: a name, IPv4, or [IPv6]); errors name
    /// `flag`.
    static Result<Redis> parseRedis(const QString &text, const QString &flag);

    FleetMember(const Config &config, Orchestrator &engine, PolicyStore &policies,
                const Clock &clock, TimerSource &timers, RandomSource &rng);
    /// Without leave() first, the member's keys stay until its lease runs out (it says so).
    ~FleetMember();

    /// Leaves the fleet: the engine owns nothing and uses its own budgets again at once, and
    /// the lease is revoked, so the member's keys go now rather than a TTL later. `done` runs
    /// once etcd answered, or after `limit` (then the lease expires by itself); either way
    /// `member_left` says which.
    void leave(std::function<void()> done, Duration limit = Duration(1000));

    /// Starts talking to etcd (construct everything that watches through the session first).
    void start();

    /// Where the fleet coordinates (etcd, through its JSON gateway).
    CoordinationStore &store();
    FleetSession &session() { return *m_session; }
    PolicyFeed &feed() { return *m_feed; }
    ShardOwner &owner() { return *m_owner; }
    /// Null without Redis.
    SharedRetryBudget *budget() { return m_budget.get(); }
    /// The fleet's decisions (null without Redis).
    DecisionBoard *decisions() { return m_decisions.get(); }
    const FleetKeys &keys() const { return m_keys; }
    /// Prometheus text of the member's part in the fleet (ownership, and the shared budget).
    QByteArray metricsText() const;

private:
    /// Puts where this member's retry rate limits are kept under its lease (on every change
    /// and every new lease).
    void reportBudget();

    Orchestrator &m_engine;
    const Clock &m_clock;
    TimerSource &m_timers;
    FleetKeys m_keys;
    std::unique_ptr<HttpEtcdWire> m_etcd;
    std::unique_ptr<EtcdStore> m_store;
    std::unique_ptr<FleetSession> m_session;
    std::unique_ptr<PolicyFeed> m_feed;
    std::unique_ptr<ShardOwner> m_owner;
    std::unique_ptr<HiredisWire> m_redis;
    std::unique_ptr<SharedRetryBudget> m_budget;
    std::unique_ptr<DecisionBoard> m_decisions;
    /// One report on its way at a time (two puts in flight could land in either order); a
    /// change meanwhile is reported when it is answered.
    bool m_reporting = false;
    bool m_reportAgain = false;
    bool m_left = false;
    TimerId m_leaveTimer = 0;
};

} // namespace rebound
