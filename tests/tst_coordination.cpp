// The fleet's logic on a second coordination store: sessions, policies and shard ownership run
// unchanged on an in-process store (InMemoryCoordination) instead of etcd, on a manual clock.
// What etcd's suites prove against a real etcd must hold here too — one owner per shard at
// every instant, a cut-off member stopping before anyone takes its shards, and a published
// policy reaching and acknowledged by every member.
#include "InMemoryCoordination.h"
#include "ScriptedRandom.h"
#include "fleet/FleetKeys.h"
#include "fleet/FleetSession.h"
#include "fleet/FleetStatus.h"
#include "fleet/PolicyFeed.h"
#include "fleet/PolicyPublisher.h"
#include "fleet/ShardOwner.h"
#include "policy/PolicyStore.h"
#include "time/ManualClock.h"

#include <QTest>

#include <map>

using namespace rebound;

namespace {

constexpr int kShards = 16;
const FleetKeys kKeys("/rebound");
const QByteArray kPolicy = R"({"version":1,"policies":[{"name":"p","backoff":{"maxAttempts":7}}]})";

struct Member
{
    Member(InMemoryCoordination &store, const QString &id, ManualClock &clock, RandomSource &rng)
        : connection(store.connect(id)), policies(clock),
          session(*connection, clock, clock, rng,
                  FleetSession::Config{id, Duration(3000), Duration(1000)}),
          feed(session, kKeys, policies), owner(session, kKeys, kShards)
    {
        session.start();
    }
    std::unique_ptr<InMemoryCoordination::Connection> connection;
    PolicyStore policies;
    FleetSession session;
    PolicyFeed feed;
    ShardOwner owner;
};

} // namespace

class TestCoordination : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void membersSplitTheShardsByRank();
    void aPublishedPolicyReachesEveryMemberAndIsAcknowledged();
    void aCutOffMemberStopsBeforeItsShardsMove();

private:
    /// Advances the clock by `step` until `total` has passed; false (with the instant and the
    /// shard in `why`) as soon as two members act on one shard.
    bool run(Duration total, QString *why = nullptr, Duration step = Duration(10));
    /// Every shard acted on by the member the rendezvous ranks first among `live`.
    bool splitAmong(const QStringList &live) const;
    Member &member(const QString &id) { return *m_members.at(id); }

    ManualClock m_clock{SteadyTime(Duration(1'000'000))};
    ScriptedRandom m_rng{{0.5}};
    std::unique_ptr<InMemoryCoordination> m_store;
    std::map<QString, std::unique_ptr<Member>> m_members;
};

void TestCoordination::init()
{
    m_store = std::make_unique<InMemoryCoordination>(m_clock, m_clock);
    for (const QString &id : {QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c")})
        m_members[id] = std::make_unique<Member>(*m_store, id, m_clock, m_rng);
}

void TestCoordination::cleanup()
{
    m_members.clear();
    m_store.reset();
}

bool TestCoordination::run(Duration total, QString *why, Duration step)
{
    for (Duration passed{0}; passed < total; passed += step) {
        m_clock.advance(step);
        for (int s = 0; s < kShards; ++s) {
            QStringList acting;
            for (const auto &[id, m] : m_members)
                if (m->owner.owned().contains(s))
                    acting << id;
            if (acting.size() > 1) {
                if (why)
                    *why = QStringLiteral("shard %1 acted on by %2 at +%3 ms")
                               .arg(s)
                               .arg(acting.join(u','))
                               .arg((passed + step).count());
                return false;
            }
        }
    }
    return true;
}

bool TestCoordination::splitAmong(const QStringList &live) const
{
    for (int s = 0; s < kShards; ++s) {
        const QString first = ShardOwner::ownerOf(s, live);
        if (!m_members.at(first)->owner.owned().contains(s) ||
            m_store->keys().value(kKeys.shard(s)).value != first.toUtf8())
            return false;
    }
    return true;
}

void TestCoordination::membersSplitTheShardsByRank()
{
    QString why;
    QVERIFY2(run(Duration(1000), &why), qPrintable(why));
    for (const auto &[id, m] : m_members) {
        QCOMPARE(m->session.state(), FleetSession::State::Live);
        QCOMPARE(m->owner.members(), (QStringList{"a", "b", "c"}));
    }
    QVERIFY(splitAmong({"a", "b", "c"}));
    // Each claim is bound to its owner's lease: it goes with the member.
    for (int s = 0; s < kShards; ++s) {
        const QString owner = QString::fromUtf8(m_store->keys().value(kKeys.shard(s)).value);
        QCOMPARE(m_store->leaseOf(kKeys.shard(s)), member(owner).session.lease());
    }
}

void TestCoordination::aPublishedPolicyReachesEveryMemberAndIsAcknowledged()
{
    QVERIFY(run(Duration(1000)));
    const auto admin = m_store->connect(QStringLiteral("admin"));
    std::optional<Result<std::int64_t>> published;
    PolicyPublisher::publish(*admin, kKeys, kPolicy,
                             [&](Result<std::int64_t> r) { published = std::move(r); });
    QVERIFY(!published); // answered later, never from inside the call
    QVERIFY(run(Duration(100)));
    QVERIFY(published && *published);
    const std::int64_t revision = **published;
    QCOMPARE(revision, m_store->keys().value(kKeys.policies()).modRevision);
    for (const auto &[id, m] : m_members) {
        QCOMPARE(m->feed.seenRevision(), revision);
        QCOMPARE(m->policies.history().last().number, int(revision));
        QCOMPARE(m->policies.current()->policyFor(QStringLiteral("any")).backoff.maxAttempts, 7);
        // Named by where this member read it.
        QCOMPARE(m->policies.history().last().source, QStringLiteral("in-process ") + id);
    }
    std::optional<Result<FleetSnapshot>> status;
    FleetStatus::read(*admin, kKeys, [&](Result<FleetSnapshot> r) { status = std::move(r); });
    QVERIFY(run(Duration(100)));
    QVERIFY(status && *status);
    QCOMPARE((*status)->policyRevision, revision);
    QCOMPARE((*status)->claimedShards, kShards);
    QCOMPARE((*status)->members.size(), 3);
    int shards = 0;
    for (const MemberStatus &m : (*status)->members) {
        QVERIFY(m.registered);
        QCOMPARE(m.revision, revision);
        QVERIFY2(m.ok, qPrintable(m.error));
        // A 3 s lease, kept alive every second: between 1 and 3 s left, never expired.
        QVERIFY2(m.leaseTtl >= 1 && m.leaseTtl <= 3, qPrintable(QString::number(m.leaseTtl)));
        shards += m.shards;
    }
    QCOMPARE(shards, kShards);
}

void TestCoordination::aCutOffMemberStopsBeforeItsShardsMove()
{
    QVERIFY(run(Duration(1000)));
    QVERIFY(splitAmong({"a", "b", "c"}));
    const QList<int> hers = member(QStringLiteral("c")).owner.owned();
    QVERIFY(!hers.isEmpty());
    member(QStringLiteral("c")).connection->setCut(true);
    // c keeps acting while its lease is its own by its clock, and not an instant longer; a and
    // b take its shards only after the store let its lease go.
    QString why;
    QVERIFY2(run(Duration(5000), &why), qPrintable(why));
    QVERIFY(member(QStringLiteral("c")).owner.owned().isEmpty());
    QVERIFY(!member(QStringLiteral("c")).session.leaseHeld());
    QCOMPARE(member(QStringLiteral("c")).session.state(), FleetSession::State::Disconnected);
    QVERIFY(splitAmong({"a", "b"}));
    // Healed: c comes back with a new lease, and takes back the shards it ranks first on —
    // each handed over, never held twice.
    member(QStringLiteral("c")).connection->setCut(false);
    QVERIFY2(run(Duration(15000), &why), qPrintable(why));
    QCOMPARE(member(QStringLiteral("c")).session.state(), FleetSession::State::Live);
    QVERIFY(splitAmong({"a", "b", "c"}));
    QCOMPARE(member(QStringLiteral("c")).owner.owned(), hers);
}

QTEST_GUILESS_MAIN(TestCoordination)
#include "tst_coordination.moc"
