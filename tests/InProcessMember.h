#pragma once

// Test helper: one fleet member in this process without an engine — its own
// connection to etcd, session (lease, one watch stream), policies, and shard ownership.
#include "fleet/EtcdStore.h"
#include "fleet/FleetKeys.h"
#include "fleet/FleetSession.h"
#include "fleet/HttpEtcdWire.h"
#include "fleet/PolicyFeed.h"
#include "fleet/ShardOwner.h"
#include "policy/PolicyStore.h"

struct InProcessMember
{
    InProcessMember(const QString &url, const QString &id, const rebound::Clock &clock,
                    rebound::TimerSource &timers, rebound::RandomSource &rng,
                    rebound::Duration leaseTtl, rebound::Duration heartbeat, int shards = 0)
        : wire(QUrl(url)), coordination(wire), store(clock),
          session(coordination, clock, timers, rng,
                  rebound::FleetSession::Config{id, leaseTtl, heartbeat}),
          feed(session, rebound::FleetKeys("/rebound"), store)
    {
        if (shards > 0)
            owner = std::make_unique<rebound::ShardOwner>(session, rebound::FleetKeys("/rebound"),
                                                          shards);
        session.start();
    }
    int version() const { return store.history().isEmpty() ? 0 : store.history().last().number; }
    int maxAttempts() const
    {
        return store.current()->policyFor(QStringLiteral("any")).backoff.maxAttempts;
    }
    bool live() const { return session.state() == rebound::FleetSession::State::Live; }

    rebound::HttpEtcdWire wire;
    rebound::EtcdStore coordination;
    rebound::PolicyStore store;
    rebound::FleetSession session;
    rebound::PolicyFeed feed;
    std::unique_ptr<rebound::ShardOwner> owner;
};
