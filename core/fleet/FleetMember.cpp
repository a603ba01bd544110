#include "fleet/FleetMember.h"

#include "fleet/DecisionBoard.h"

#include "engine/Orchestrator.h"
#include "fleet/EtcdStore.h"
#include "fleet/HiredisWire.h"
#include "fleet/HttpEtcdWire.h"
#include "fleet/PolicyFeed.h"
#include "fleet/ShardOwner.h"
#include "fleet/SharedRetryBudget.h"
#include "support/JsonLog.h"

#include <QJsonDocument>
#include <QJsonObject>

namespace rebound {

Result<FleetMember::Redis> FleetMember::parseRedis(const QString &text, const QString &flag)
{
    QString rest = text;
    if (rest.startsWith(QLatin1String("redis://")))
        rest = rest.mid(8);
    const QUrl url(QStringLiteral("redis://") + rest, QUrl::StrictMode);
    if (!url.isValid() || url.host().isEmpty() || url.port() < 1 || !url.path().isEmpty() ||
        !url.userInfo().isEmpty()) {
        return Error{QStringLiteral("invalid-redis"),
                     QStringLiteral("%1: expected redis://HOST:PORT or HOST:PORT, got \"%2\" (the "
                                    "password comes from --redis-password-file, "
                                    "REBOUND_REDIS_PASSWORD or the OS keychain, never the "
                                    "command line)")
                         .arg(flag, url.userInfo().isEmpty() ? text : QStringLiteral("…"))};
    }
    return Redis{url.host(), url.port(), {}};
}

QString FleetMember::Redis::keychainEntry() const
{
    QUrl url;
    url.setScheme(QStringLiteral("redis"));
    url.setHost(host);
    url.setPort(port);
    return url.toString();
}

Result<void> FleetMember::Redis::resolvePassword(const QString &file, const QByteArray &environment,
                                                 const SecretSource::Keychain &keychain,
                                                 QString &warning)
{
    auto found = SecretSource::resolve(QStringLiteral("--redis-password-file"), file, environment,
                                       keychainEntry(), keychain);
    if (!found && found.error().code == QLatin1String("keychain")) {
        warning = QStringLiteral("no Redis password from %1; connecting without one")
                      .arg(found.error().message);
        password.clear();
        return {};
    }
    if (!found)
        return found.error();
    password = found->secret;
    return {};
}

FleetMember::FleetMember(const Config &config, Orchestrator &engine, PolicyStore &policies,
                         const Clock &clock, TimerSource &timers, RandomSource &rng)
    : m_engine(engine), m_clock(clock), m_timers(timers), m_keys(config.prefix)
{
    m_etcd = std::make_unique<HttpEtcdWire>(config.etcd);
    m_store = std::make_unique<EtcdStore>(*m_etcd);
    m_session = std::make_unique<FleetSession>(*m_store, clock, timers, rng, config.session);
    m_feed = std::make_unique<PolicyFeed>(*m_session, m_keys, policies);
    m_owner = std::make_unique<ShardOwner>(*m_session, m_keys, config.shards);
    m_engine.setOwnership(
        {[o = m_owner.get()](const QString &ep, const QString &id) { return o->fenceOf(ep, id); },
         [o = m_owner.get()](const Fence &f) { o->dropShard(f); },
         [o = m_owner.get()](const QString &ep, const QString &id) {
             return o->claimantOf(ep, id);
         },
         config.session.member, [o = m_owner.get()] { return o->ownedFences(); },
         [o = m_owner.get()](const QString &ep) { return o->refusal(ep); }});
    m_owner->setEndpoints(m_engine.endpoints());
    QObject::connect(&m_engine, &Orchestrator::endpointsChanged, m_owner.get(),
                     [this] { m_owner->setEndpoints(m_engine.endpoints()); });
    QObject::connect(m_owner.get(), &ShardOwner::shardsGained, &m_engine,
                     &Orchestrator::announceFences);
    QObject::connect(m_owner.get(), &ShardOwner::ownershipChanged, &m_engine,
                     &Orchestrator::ownershipChanged);
    if (config.redis) {
        m_redis = std::make_unique<HiredisWire>(config.redis->host, config.redis->port,
                                                config.redis->password);
        SharedRetryBudget::Config b;
        b.keyPrefix = m_keys.prefix();
        // N for the fallback: the live members etcd shows (this one at least).
        m_budget =
            std::make_unique<SharedRetryBudget>(*m_redis, clock, timers, b, [o = m_owner.get()] {
                return int(std::max<qsizetype>(1, o->members().size()));
            });
        m_engine.setRetryPermits(m_budget.get());
        DecisionBoard::Config d;
        d.keyPrefix = m_keys.prefix();
        d.member = config.session.member;
        m_decisions = std::make_unique<DecisionBoard>(*m_redis, m_engine, clock, timers, d);
        QObject::connect(m_budget.get(), &SharedRetryBudget::modeChanged, m_budget.get(),
                         [this] { reportBudget(); });
        QObject::connect(m_session.get(), &FleetSession::leaseGranted, m_budget.get(),
                         [this] { reportBudget(); });
        // A failed call is dropped and the session reconnects: report again once it is live.
        QObject::connect(m_session.get(), &FleetSession::stateChanged, m_budget.get(), [this] {
            m_reporting = false;
            m_reportAgain = false;
            if (m_session->state() == FleetSession::State::Live)
                reportBudget();
        });
    }
}

FleetMember::~FleetMember()
{
    if (m_leaveTimer)
        m_timers.cancel(m_leaveTimer);
    if (m_left)
        return;
    m_engine.setOwnership(Orchestrator::nothingOwned());
    m_engine.setRetryPermits(nullptr);
    JsonLog::event(lcFleet, QtWarningMsg, QStringLiteral("member_left"),
                   {{QStringLiteral("member"), m_session->config().member},
                    {QStringLiteral("cause"),
                     QStringLiteral("stopped without leaving; the lease expires by itself")}});
}

void FleetMember::leave(std::function<void()> done, Duration limit)
{
    if (std::exchange(m_left, true)) {
        done();
        return;
    }
    // Nothing is decided or sent under the fleet from here.
    m_engine.setOwnership(Orchestrator::nothingOwned());
    m_engine.setRetryPermits(nullptr);
    // Whichever comes first — etcd's answer or the limit — ends the leaving, once.
    auto finish = std::make_shared<std::function<void(const QString &)>>(
        [member = m_session->config().member, done = std::move(done)](const QString &cause) {
            JsonLog::event(lcFleet, QtInfoMsg, QStringLiteral("member_left"),
                           {{QStringLiteral("member"), member}, {QStringLiteral("cause"), cause}});
            done();
        });
    const auto once = [finish](const QString &cause) {
        if (auto f = std::exchange(*finish, {}))
            f(cause);
    };
    m_leaveTimer = m_timers.schedule(m_clock.steadyNow() + limit, [this, once] {
        m_leaveTimer = 0;
        once(QStringLiteral("etcd did not answer; the lease expires by itself"));
    });
    m_session->leave([once](Result<void> revoked) {
        once(revoked
                 ? QStringLiteral("lease revoked")
                 : QStringLiteral("%1; the lease expires by itself").arg(revoked.error().message));
    });
}

void FleetMember::reportBudget()
{
    if (!m_budget || m_session->lease() == 0)
        return;
    if (m_reporting) {
        m_reportAgain = true;
        return;
    }
    const QJsonObject b{{QStringLiteral("mode"), m_budget->mode() == SharedRetryBudget::Mode::Shared
                                                     ? QStringLiteral("redis")
                                                     : QStringLiteral("local")},
                        {QStringLiteral("divisor"), m_budget->divisor()},
                        {QStringLiteral("cause"), m_budget->cause()}};
    m_reporting = true;
    m_session->put(m_keys.budgetStatus(m_session->config().member),
                   QJsonDocument(b).toJson(QJsonDocument::Compact), [this] {
                       m_reporting = false;
                       if (m_reportAgain) { // the state changed while this one was on its way
                           m_reportAgain = false;
                           reportBudget();
                       }
                   });
}

CoordinationStore &FleetMember::store()
{
    return *m_store;
}

void FleetMember::start()
{
    m_session->start();
    if (m_decisions)
        m_decisions->start();
}

QByteArray FleetMember::metricsText() const
{
    return m_owner->metricsText() + (m_budget ? m_budget->metricsText() : QByteArray()) +
           (m_decisions ? m_decisions->metricsText() : QByteArray());
}

} // namespace rebound
