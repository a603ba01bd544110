// Unit tests of fleet work ownership on a manual clock and a fake etcd wire: the multiplexed
// watch stream, the claim and release transactions, the fence, and the lease trusted only by
// the member's own clock.
#include "FakeEtcdWire.h"
#include "ScriptedRandom.h"
#include "fleet/EtcdStore.h"
#include "fleet/FleetKeys.h"
#include "fleet/FleetSession.h"
#include "fleet/ShardOwner.h"
#include "time/ManualClock.h"

#include <QJsonArray>
#include <QSignalSpy>
#include <QTest>

using namespace rebound;

namespace {

QByteArray header(int revision)
{
    return "{\"revision\":\"" + QByteArray::number(revision) + "\"}";
}

QByteArray kv(const QByteArray &key, const QByteArray &value, int create, int lease)
{
    return "{\"key\":\"" + key.toBase64() + "\",\"create_revision\":\"" +
           QByteArray::number(create) + "\",\"mod_revision\":\"" + QByteArray::number(create) +
           "\",\"value\":\"" + value.toBase64() + "\",\"lease\":\"" + QByteArray::number(lease) +
           "\"}";
}

QByteArray decoded(const QJsonValue &v)
{
    return QByteArray::fromBase64(v.toString().toLatin1());
}

} // namespace

class TestShardOwner final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void shardsAndRendezvous();
    void oneStreamCarriesEveryWatch();
    void claimsItsShardsAndFencesThem();
    void joinHandsOverOnlyTheShardsThatMove();
    void lapsedLeaseStopsOwnershipByTheLocalClock();
    void staleFenceDropsTheShard();
    void eventsOfOneMessageApplyInOrder();
    void endpointsSpelledDifferentlyAreRefused_data();
    void endpointsSpelledDifferentlyAreRefused();
    void publishesItsEndpointsAndRefusesWhatOthersSpellDifferently();

private:
    /// Connects "a" (lease 77) and drives it live with the given members and claims.
    void connectLive(const QList<QByteArray> &members, const QList<QByteArray> &claims);
    /// Takes every held txn call: the shards claimed (by key).
    QList<int> takeClaims();

    ManualClock m_clock{SteadyTime(Duration(1'000'000))};
    ScriptedRandom m_rng{{0.5}};
    FakeEtcdWire m_wire;
    EtcdStore m_etcd{m_wire};
    std::unique_ptr<FleetSession> m_session;
    std::unique_ptr<ShardOwner> m_owner;
};

void TestShardOwner::init()
{
    m_wire.calls.clear();
    m_wire.watch.reset();
    m_session = std::make_unique<FleetSession>(
        m_etcd, m_clock, m_clock, m_rng,
        FleetSession::Config{QStringLiteral("a"), Duration(9000), Duration(2000)});
    m_owner = std::make_unique<ShardOwner>(*m_session, FleetKeys("/rebound"), 8);
}

void TestShardOwner::cleanup()
{
    m_owner.reset();
    m_session.reset();
}

void TestShardOwner::shardsAndRendezvous()
{
    // Stable across processes and runs: the values are part of the fleet's contract.
    QCOMPARE(
        ShardOwner::shardOf(QStringLiteral("http://127.0.0.1:8080"), QStringLiteral("t-1"), 64),
        ShardOwner::shardOf(QStringLiteral("http://127.0.0.1:8080"), QStringLiteral("t-1"), 64));
    QVERIFY(ShardOwner::ownerOf(3, {}).isEmpty());
    // Adding a member moves only shards to the newcomer; removing one moves only its shards.
    const QStringList three{QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c")};
    const QStringList four = three + QStringList{QStringLiteral("d")};
    int moved = 0;
    QHash<QString, int> perMember;
    for (int s = 0; s < 64; ++s) {
        const QString before = ShardOwner::ownerOf(s, three);
        const QString after = ShardOwner::ownerOf(s, four);
        ++perMember[before];
        if (before != after) {
            QCOMPARE(after, QStringLiteral("d"));
            ++moved;
        }
        QCOMPARE(
            ShardOwner::ownerOf(s, {QStringLiteral("c"), QStringLiteral("a"), QStringLiteral("b")}),
            before); // order does not matter
    }
    QVERIFY2(moved > 0 && moved < 32, qPrintable(QString::number(moved)));
    for (const QString &m : three)
        QVERIFY2(perMember.value(m) >= 10, qPrintable(m)); // spread, not all on one
    // Task keys spread over the shards.
    QSet<int> used;
    for (int i = 0; i < 1000; ++i)
        used << ShardOwner::shardOf(QStringLiteral("http://x"), QString::number(i), 64);
    QCOMPARE(used.size(), 64);
}

void TestShardOwner::connectLive(const QList<QByteArray> &members, const QList<QByteArray> &claims)
{
    m_session->start();
    FakeEtcdWire::Call grant = m_wire.take();
    QCOMPARE(grant.path, QStringLiteral("/v3/lease/grant"));
    grant.done(QByteArray("{\"header\":" + header(4) + ",\"ID\":\"77\",\"TTL\":\"9\"}"));
    // Registered under the lease.
    FakeEtcdWire::Call reg = m_wire.take();
    QCOMPARE(reg.path, QStringLiteral("/v3/kv/put"));
    QCOMPARE(decoded(reg.body.value(QStringLiteral("key"))), QByteArray("/rebound/members/a"));
    QCOMPARE(reg.body.value(QStringLiteral("lease")).toString(), QStringLiteral("77"));
    reg.done(QByteArray("{\"header\":" + header(5) + "}"));
    // Both ranges are read before the stream opens.
    FakeEtcdWire::Call rm = m_wire.take();
    FakeEtcdWire::Call rs = m_wire.take();
    QCOMPARE(decoded(rm.body.value(QStringLiteral("key"))), QByteArray("/rebound/members/"));
    QCOMPARE(decoded(rm.body.value(QStringLiteral("range_end"))), QByteArray("/rebound/members0"));
    QCOMPARE(decoded(rs.body.value(QStringLiteral("key"))), QByteArray("/rebound/shards/"));
    QByteArray mkvs;
    for (const QByteArray &m : members)
        mkvs += (mkvs.isEmpty() ? "" : ",") + kv("/rebound/members/" + m, "{}", 5, 1);
    QByteArray skvs;
    for (const QByteArray &c : claims)
        skvs += (skvs.isEmpty() ? "" : ",") + c;
    rm.done(QByteArray("{\"header\":" + header(20) + ",\"kvs\":[" + mkvs + "]}"));
    QVERIFY(!m_wire.watch);
    rs.done(QByteArray("{\"header\":" + header(20) + ",\"kvs\":[" + skvs + "]}"));
    QVERIFY(m_wire.watch);
    m_wire.feed("{\"result\":{\"watch_id\":\"1\",\"header\":" + header(20) + ",\"created\":true}}");
    QCOMPARE(m_session->state(), FleetSession::State::Connecting);
    m_wire.feed("{\"result\":{\"watch_id\":\"2\",\"header\":" + header(20) + ",\"created\":true}}");
    QCOMPARE(m_session->state(), FleetSession::State::Live);
}

QList<int> TestShardOwner::takeClaims()
{
    QList<int> out;
    while (!m_wire.calls.empty()) {
        FakeEtcdWire::Call c = m_wire.take();
        if (c.path != QLatin1String("/v3/kv/txn"))
            continue;
        const QJsonObject put = c.body.value(QStringLiteral("success"))
                                    .toArray()
                                    .first()
                                    .toObject()
                                    .value(QStringLiteral("request_put"))
                                    .toObject();
        if (put.isEmpty())
            continue;
        const QJsonObject cmp =
            c.body.value(QStringLiteral("compare")).toArray().first().toObject();
        if (cmp.value(QStringLiteral("create_revision")).toString() != QLatin1String("0") ||
            put.value(QStringLiteral("lease")).toString() != QLatin1String("77") ||
            decoded(put.value(QStringLiteral("value"))) != "a")
            continue; // not a well-formed claim: the test's comparison fails below
        out << decoded(put.value(QStringLiteral("key"))).mid(16).toInt();
        c.done(QByteArray("{\"header\":" + header(30) + ",\"succeeded\":true}"));
    }
    std::sort(out.begin(), out.end());
    return out;
}

void TestShardOwner::oneStreamCarriesEveryWatch()
{
    connectLive({"a"}, {});
    // Three watches (policies are not registered here: two) in one stream, each with its id.
    QCOMPARE(m_wire.watch->requests.size(), 2);
    for (int i = 0; i < 2; ++i) {
        const QJsonObject c =
            m_wire.watch->requests[i].value(QStringLiteral("create_request")).toObject();
        QCOMPARE(c.value(QStringLiteral("watch_id")).toString(), QString::number(i + 1));
        QCOMPARE(c.value(QStringLiteral("start_revision")).toString(), QStringLiteral("21"));
        QVERIFY(c.value(QStringLiteral("progress_notify")).toBool());
    }
    takeClaims();
    // A message for a watch never asked for is refused, and the stream is opened again.
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("etcd_disconnected")));
    m_wire.feed("{\"result\":{\"watch_id\":\"9\",\"header\":" + header(21) + "}}");
    QCOMPARE(m_session->state(), FleetSession::State::Disconnected);
    QVERIFY(m_session->lastError().contains(QStringLiteral("watch 9")));
    // Compaction of one watch re-reads only that range; the other resumes where it was.
    m_clock.advance(Duration(375));
    m_wire.feed("{\"result\":{\"watch_id\":\"1\",\"header\":" + header(40) + "}}"); // progress
    m_wire.feed("{\"result\":{\"watch_id\":\"2\",\"header\":" + header(40) +
                ",\"canceled\":true,\"compact_revision\":\"35\"}}");
    QVERIFY(!m_wire.watch);
    FakeEtcdWire::Call again = m_wire.take();
    QCOMPARE(decoded(again.body.value(QStringLiteral("key"))), QByteArray("/rebound/shards/"));
    QVERIFY(m_wire.calls.empty());
    again.done(QByteArray("{\"header\":" + header(50) + "}"));
    QCOMPARE(m_wire.watch->requests[0]
                 .value(QStringLiteral("create_request"))
                 .toObject()
                 .value(QStringLiteral("start_revision"))
                 .toString(),
             QStringLiteral("41"));
    QCOMPARE(m_wire.watch->requests[1]
                 .value(QStringLiteral("create_request"))
                 .toObject()
                 .value(QStringLiteral("start_revision"))
                 .toString(),
             QStringLiteral("51"));
}

void TestShardOwner::claimsItsShardsAndFencesThem()
{
    QSignalSpy changed(m_owner.get(), &ShardOwner::ownershipChanged);
    QSignalSpy gained(m_owner.get(), &ShardOwner::shardsGained);
    connectLive({"a", "b"}, {});
    QList<int> expected;
    for (int s = 0; s < 8; ++s)
        if (ShardOwner::ownerOf(s, {QStringLiteral("a"), QStringLiteral("b")}) == u"a")
            expected << s;
    QVERIFY(!expected.isEmpty() && expected.size() < 8);
    QCOMPARE(takeClaims(), expected);
    // Claimed is not owned until etcd shows the claim (the watch), under this lease.
    QVERIFY(m_owner->owned().isEmpty());
    QByteArray events;
    for (int s : expected)
        events +=
            (events.isEmpty() ? "" : ",") +
            ("{\"kv\":" + kv("/rebound/shards/" + QByteArray::number(s), "a", 100 + s, 77) + "}");
    m_wire.feed("{\"result\":{\"watch_id\":\"2\",\"header\":" + header(120) + ",\"events\":[" +
                events + "]}}");
    QCOMPARE(m_owner->owned(), expected);
    QCOMPARE(changed.size(), 1);
    // The claims' fences are handed on to be announced, each once, as the shards are gained.
    QList<Fence> claimed;
    for (int s : expected)
        claimed << Fence{s, 100 + s};
    QCOMPARE(gained.size(), 1);
    QCOMPARE(gained.first().first().value<QList<Fence>>(), claimed);
    QCOMPARE(m_owner->ownedFences(), claimed);
    // The fence of a task in an owned shard is the claim's create_revision.
    for (int i = 0; i < 50; ++i) {
        const QString id = QString::number(i);
        const int s = ShardOwner::shardOf(QStringLiteral("http://x"), id, 8);
        const auto f = m_owner->fenceOf(QStringLiteral("http://x"), id);
        QCOMPARE(f.has_value(), expected.contains(s));
        if (f)
            QCOMPARE(*f, (Fence{s, 100 + s}));
    }
    // A claim by another member (or under an old lease) is not this member's.
    const int other = [&] {
        for (int s = 0; s < 8; ++s)
            if (!expected.contains(s))
                return s;
        return -1;
    }();
    m_wire.feed("{\"result\":{\"watch_id\":\"2\",\"header\":" + header(130) + ",\"events\":[" +
                "{\"kv\":" + kv("/rebound/shards/" + QByteArray::number(other), "a", 130, 12) +
                "}]}}");
    QCOMPARE(m_owner->owned(), expected);
    QCOMPARE(gained.size(), 1);
}

void TestShardOwner::joinHandsOverOnlyTheShardsThatMove()
{
    QByteArray claims;
    QList<QByteArray> all;
    for (int s = 0; s < 8; ++s)
        all << kv("/rebound/shards/" + QByteArray::number(s), "a", 10 + s, 77);
    connectLive({"a"}, all);
    QCOMPARE(m_owner->owned().size(), 8);
    QVERIFY(takeClaims().isEmpty());
    // "b" joins: a releases exactly the shards b ranks first on, each only if still its claim.
    m_wire.feed("{\"result\":{\"watch_id\":\"1\",\"header\":" + header(40) + ",\"events\":[" +
                "{\"kv\":" + kv("/rebound/members/b", "{}", 40, 5) + "}]}}");
    QList<int> released;
    while (!m_wire.calls.empty()) {
        FakeEtcdWire::Call c = m_wire.take();
        QCOMPARE(c.path, QStringLiteral("/v3/kv/txn"));
        const QJsonObject del = c.body.value(QStringLiteral("success"))
                                    .toArray()
                                    .first()
                                    .toObject()
                                    .value(QStringLiteral("request_delete_range"))
                                    .toObject();
        const int s = decoded(del.value(QStringLiteral("key"))).mid(16).toInt();
        QCOMPARE(c.body.value(QStringLiteral("compare"))
                     .toArray()
                     .first()
                     .toObject()
                     .value(QStringLiteral("create_revision"))
                     .toString(),
                 QString::number(10 + s));
        released << s;
    }
    std::sort(released.begin(), released.end());
    QList<int> moving;
    for (int s = 0; s < 8; ++s)
        if (ShardOwner::ownerOf(s, {QStringLiteral("a"), QStringLiteral("b")}) == u"b")
            moving << s;
    QCOMPARE(released, moving);
    // Not acted on from the moment the release was decided: no release is answered yet.
    QVERIFY(!moving.isEmpty());
    for (int s : std::as_const(moving))
        QVERIFY2(!m_owner->owned().contains(s), qPrintable(QString::number(s)));
    QCOMPARE(m_owner->owned().size(), 8 - moving.size());
}

void TestShardOwner::lapsedLeaseStopsOwnershipByTheLocalClock()
{
    QList<QByteArray> all;
    for (int s = 0; s < 8; ++s)
        all << kv("/rebound/shards/" + QByteArray::number(s), "a", 10 + s, 77);
    const SteadyTime grantedAt = m_clock.steadyNow();
    connectLive({"a"}, all);
    QCOMPARE(m_owner->owned().size(), 8);
    QVERIFY(m_owner->metricsText().contains("rebound_fleet_shards_owned{member=\"a\"} 8\n"));
    QSignalSpy changed(m_owner.get(), &ShardOwner::ownershipChanged);
    // etcd stops answering: the keepalive at TTL/3 is never answered (the real wire gives up
    // on it after 5 s; here it just hangs), and the stream goes quiet but stays open.
    m_clock.advance(Duration(3000));
    QCOMPARE(m_wire.take().path, QStringLiteral("/v3/lease/keepalive"));
    m_wire.feed("{\"result\":{\"watch_id\":\"1\",\"header\":" + header(40) + "}}");
    m_clock.advance(Duration(3000));
    m_wire.feed("{\"result\":{\"watch_id\":\"1\",\"header\":" + header(40) + "}}");
    m_clock.advance(Duration(2999)); // 8 999 ms after the grant was sent
    QCOMPARE(m_owner->owned().size(), 8);
    QVERIFY(m_session->leaseHeld());
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("lease_lapsed")));
    m_clock.advance(Duration(1)); // the TTL, from when the grant was sent
    QCOMPARE(m_clock.steadyNow(), grantedAt + Duration(9000));
    QVERIFY(!m_session->leaseHeld());
    // Said in metrics too: the link is still up, the lease is not held, nothing is decided.
    const QByteArray metrics = m_owner->metricsText();
    QVERIFY2(metrics.contains("rebound_fleet_etcd_live{member=\"a\"} 1\n") &&
                 metrics.contains("rebound_fleet_lease_held{member=\"a\"} 0\n") &&
                 metrics.contains("rebound_fleet_shards_owned{member=\"a\"} 0\n") &&
                 metrics.contains("rebound_fleet_shards{member=\"a\"} 8\n") &&
                 metrics.contains("rebound_fleet_members{member=\"a\"} 1\n"),
             metrics.constData());
    QVERIFY(m_owner->owned().isEmpty());
    QVERIFY(!m_owner->fenceOf(QStringLiteral("http://x"), QStringLiteral("1")).has_value());
    QCOMPARE(changed.size(), 1);
}

void TestShardOwner::staleFenceDropsTheShard()
{
    QList<QByteArray> all;
    for (int s = 0; s < 8; ++s)
        all << kv("/rebound/shards/" + QByteArray::number(s), "a", 10 + s, 77);
    connectLive({"a"}, all);
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("shard_dropped")));
    m_owner->dropShard(Fence{3, 13});
    QVERIFY(!m_owner->owned().contains(3));
    QCOMPARE(m_owner->owned().size(), 7);
    FakeEtcdWire::Call del = m_wire.take();
    QCOMPARE(del.path, QStringLiteral("/v3/kv/txn"));
    // A fence that is not the current claim's changes nothing.
    m_owner->dropShard(Fence{4, 9});
    QCOMPARE(m_owner->owned().size(), 7);
}

void TestShardOwner::eventsOfOneMessageApplyInOrder()
{
    // Back from a pause: one message carries the old registration's expiry and the new one,
    // another a shard's expiry and its claim by someone else. Applied out of order, the member
    // would drop itself from the fleet, or forget the other's claim.
    QList<QByteArray> all;
    for (int s = 0; s < 8; ++s)
        all << kv("/rebound/shards/" + QByteArray::number(s), "a", 10 + s, 77);
    connectLive({"a", "b"}, all);
    takeClaims();
    while (!m_wire.calls.empty())
        m_wire.take().done(QByteArray("{\"header\":" + header(30) + "}"));
    m_wire.feed("{\"result\":{\"watch_id\":\"1\",\"header\":" + header(60) +
                ",\"events\":[{\"type\":\"DELETE\",\"kv\":{\"key\":\"" +
                QByteArray("/rebound/members/a").toBase64() +
                "\",\"mod_revision\":\"50\"}},"
                "{\"kv\":" +
                kv("/rebound/members/a", "{}", 60, 77) + "}]}}");
    QVERIFY(m_owner->members().contains(QStringLiteral("a")));
    m_wire.feed("{\"result\":{\"watch_id\":\"2\",\"header\":" + header(70) +
                ",\"events\":[{\"type\":\"DELETE\",\"kv\":{\"key\":\"" +
                QByteArray("/rebound/shards/3").toBase64() +
                "\",\"mod_revision\":\"65\"}},"
                "{\"kv\":" +
                kv("/rebound/shards/3", "b", 70, 5) + "}]}}");
    QCOMPARE(m_owner->owners().value(3), QStringLiteral("b"));
    QVERIFY(!m_owner->owned().contains(3));
}

void TestShardOwner::endpointsSpelledDifferentlyAreRefused_data()
{
    QTest::addColumn<QStringList>("mine");
    QTest::addColumn<QStringList>("b");
    QTest::addColumn<QStringList>("c");
    QTest::addColumn<QStringList>("refused");
    const QString ip = QStringLiteral("http://127.0.0.1:8080");
    const QString host = QStringLiteral("http://localhost:8080");
    const QString other = QStringLiteral("http://10.0.0.2:8080");
    QTest::newRow("same set") << QStringList{ip, other} << QStringList{other, ip}
                              << QStringList{ip, other} << QStringList{};
    QTest::newRow("another spelling")
        << QStringList{ip} << QStringList{host} << QStringList{ip} << QStringList{ip};
    QTest::newRow("one member lacks one") << QStringList{ip, other} << QStringList{ip}
                                          << QStringList{ip, other} << QStringList{other};
    // A member that watches nothing yet (starting) is not counted against anyone.
    QTest::newRow("not watching yet")
        << QStringList{ip} << QStringList{} << QStringList{ip} << QStringList{};
    QTest::newRow("alone") << QStringList{ip} << QStringList{} << QStringList{} << QStringList{};
}

void TestShardOwner::endpointsSpelledDifferentlyAreRefused()
{
    QFETCH(QStringList, mine);
    QFETCH(QStringList, b);
    QFETCH(QStringList, c);
    QFETCH(QStringList, refused);
    const auto out =
        ShardOwner::refusalsFor(mine, {{QStringLiteral("b"), b}, {QStringLiteral("c"), c}});
    QStringList keys = out.keys();
    keys.sort();
    QCOMPARE(keys, refused);
    for (const QString &e : refused) // the reason names the endpoint and what the others watch
        QVERIFY2(out.value(e).startsWith(QStringLiteral("not deciding for %1: ").arg(e)) &&
                     out.value(e).contains(QLatin1String(" watches ")),
                 qPrintable(out.value(e)));
}

void TestShardOwner::publishesItsEndpointsAndRefusesWhatOthersSpellDifferently()
{
    const QString ip = QStringLiteral("http://127.0.0.1:8080");
    QList<QByteArray> all;
    for (int s = 0; s < 8; ++s)
        all << kv("/rebound/shards/" + QByteArray::number(s), "a", 10 + s, 77);
    connectLive({"a"}, all);
    QSignalSpy changed(m_owner.get(), &ShardOwner::ownershipChanged);
    // Its endpoints go with its registration, under its lease.
    m_owner->setEndpoints({ip});
    FakeEtcdWire::Call reg = m_wire.take();
    QCOMPARE(reg.path, QStringLiteral("/v3/kv/put"));
    QCOMPARE(decoded(reg.body.value(QStringLiteral("key"))), QByteArray("/rebound/members/a"));
    const QByteArray registration = R"({"endpoints":["http://127.0.0.1:8080"],"member":"a"})";
    QCOMPARE(decoded(reg.body.value(QStringLiteral("value"))), registration);
    QCOMPARE(reg.body.value(QStringLiteral("lease")).toString(), QStringLiteral("77"));
    reg.done(QByteArray("{\"header\":" + header(40) + "}"));
    // A task in a shard a keeps when b joins.
    QString id;
    for (int i = 0; id.isEmpty(); ++i)
        if (ShardOwner::ownerOf(ShardOwner::shardOf(ip, QStringLiteral("job:%1").arg(i), 8),
                                {QStringLiteral("a"), QStringLiteral("b")}) == u"a")
            id = QStringLiteral("job:%1").arg(i);
    const int shard = ShardOwner::shardOf(ip, id, 8);
    QCOMPARE(m_owner->fenceOf(ip, id), std::optional(Fence{shard, 10 + shard}));
    // b says it watches the same service as http://localhost:8080: a refuses to decide there.
    m_wire.feed(
        "{\"result\":{\"watch_id\":\"1\",\"header\":" + header(41) + ",\"events\":[{\"kv\":" +
        kv("/rebound/members/b", R"({"endpoints":["http://localhost:8080"],"member":"b"})", 6, 2) +
        "}]}}");
    QCOMPARE(m_owner->fenceOf(ip, id), std::nullopt);
    QVERIFY(m_owner->refusal(ip).contains(QLatin1String("b watches http://localhost:8080")));
    QVERIFY(changed.size() >= 1); // (b's arrival also hands some shards over)
    const int changes = int(changed.size());
    const QByteArray refusedSample =
        R"(rebound_fleet_endpoint_refused{member="a",endpoint="http://127.0.0.1:8080"} 1)";
    QVERIFY(m_owner->metricsText().contains(refusedSample));
    // b is set right: a decides again.
    m_wire.feed(
        "{\"result\":{\"watch_id\":\"1\",\"header\":" + header(42) + ",\"events\":[{\"kv\":" +
        kv("/rebound/members/b", R"({"endpoints":["http://127.0.0.1:8080"],"member":"b"})", 6, 2) +
        "}]}}");
    QCOMPARE(m_owner->refusal(ip), QString());
    QCOMPARE(m_owner->fenceOf(ip, id), std::optional(Fence{shard, 10 + shard}));
    QCOMPARE(changed.size(), changes + 1);
}

QTEST_GUILESS_MAIN(TestShardOwner)

#include "tst_shardowner.moc"
