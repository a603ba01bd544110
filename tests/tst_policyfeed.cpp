// Unit tests of a member's policy feed from etcd, on a manual clock and a fake wire: the exact
// calls it makes, what it applies, what it acknowledges, and when it reconnects.
#include "FakeEtcdWire.h"
#include "ScriptedRandom.h"
#include "fleet/EtcdCodec.h"
#include "fleet/EtcdStore.h"
#include "fleet/FleetStatus.h"
#include "fleet/PolicyFeed.h"
#include "policy/PolicyStore.h"
#include "time/ManualClock.h"

#include <QSignalSpy>
#include <QTest>

using namespace rebound;

namespace {

const QByteArray kGood = R"({"version":1,"policies":[{"name":"p","backoff":{"maxAttempts":4}}]})";
const QByteArray kGood2 = R"({"version":1,"policies":[{"name":"p","backoff":{"maxAttempts":6}}]})";
const QByteArray kInvalid =
    R"({"version":1,"policies":[{"name":"p","backoff":{"multiplier":0.5}}]})";
// Above 2^53: a double would round it.
const QString kLease = QStringLiteral("7205759403792793601");

QByteArray b64(const QByteArray &b)
{
    return b.toBase64();
}

QByteArray kv(const QByteArray &key, const QByteArray &value, int mod)
{
    return "{\"key\":\"" + b64(key) + "\",\"create_revision\":\"2\",\"mod_revision\":\"" +
           QByteArray::number(mod) + "\",\"version\":\"1\",\"value\":\"" + b64(value) + "\"}";
}

QByteArray header(int revision)
{
    return "{\"cluster_id\":\"15118495548433857066\",\"revision\":\"" +
           QByteArray::number(revision) + "\"}";
}

QByteArray decoded(const QJsonObject &body, const char *field)
{
    return QByteArray::fromBase64(body.value(QLatin1String(field)).toString().toLatin1());
}

} // namespace

class TestPolicyFeed final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void connectsGrantsRangesAppliesAcknowledgesAndWatches();
    void invalidVersionIsRefusedAndTheLastGoodStays();
    void deleteNeverMeansNoPolicies();
    void compactedStartRangesAgain();
    void endedStreamResumesAfterJitteredBackoff();
    void expiredLeaseIsReplacedAndTheAckPutAgain();
    void silentStreamIsOpenedAgain();
    void codec_data();
    void codec();
    void fleetStatusReadsAcknowledgements();

private:
    /// Drives the first connection to live with the policy document at mod_revision 5.
    void connectLive();
    void expectAck(std::int64_t rev, bool ok, const QString &lease = kLease);

    ManualClock m_clock{SteadyTime(Duration(1'000'000))};
    ScriptedRandom m_rng{{0.5}};
    FakeEtcdWire m_wire;
    EtcdStore m_etcd{m_wire};
    std::unique_ptr<PolicyStore> m_store;
    std::unique_ptr<FleetSession> m_session;
    std::unique_ptr<PolicyFeed> m_feed;
};

void TestPolicyFeed::init()
{
    m_wire.calls.clear();
    m_wire.watch.reset();
    m_wire.watchesOpened = 0;
    m_store = std::make_unique<PolicyStore>(m_clock);
    m_session = std::make_unique<FleetSession>(
        m_etcd, m_clock, m_clock, m_rng,
        FleetSession::Config{QStringLiteral("m1"), Duration(9000), Duration(2000)});
    m_feed = std::make_unique<PolicyFeed>(*m_session, FleetKeys("/rebound/"), *m_store);
}

void TestPolicyFeed::cleanup()
{
    m_feed.reset();
    m_session.reset();
    m_store.reset();
}

void TestPolicyFeed::expectAck(std::int64_t rev, bool ok, const QString &lease)
{
    QVERIFY(!m_wire.calls.empty());
    FakeEtcdWire::Call put = m_wire.take();
    QCOMPARE(put.path, QStringLiteral("/v3/kv/put"));
    QCOMPARE(decoded(put.body, "key"), QByteArray("/rebound/status/m1/policy"));
    QCOMPARE(put.body.value(QStringLiteral("lease")).toString(), lease);
    const QJsonObject ack = QJsonDocument::fromJson(decoded(put.body, "value")).object();
    QCOMPARE(ack.value(QStringLiteral("rev")).toInteger(), rev);
    QCOMPARE(ack.value(QStringLiteral("ok")).toBool(), ok);
    QCOMPARE(ack.value(QStringLiteral("error")).toString().isEmpty(), ok);
    put.done(QByteArray("{\"header\":" + header(int(rev) + 1) + "}"));
}

void TestPolicyFeed::connectLive()
{
    m_session->start();
    QCOMPARE(m_session->state(), FleetSession::State::Connecting);
    FakeEtcdWire::Call grant = m_wire.take();
    QCOMPARE(grant.path, QStringLiteral("/v3/lease/grant"));
    QCOMPARE(grant.body.value(QStringLiteral("TTL")).toString(), QStringLiteral("9"));
    grant.done(QByteArray("{\"header\":" + header(4) + ",\"ID\":\"" + kLease.toLatin1() +
                          "\",\"TTL\":\"9\"}"));
    QCOMPARE(m_session->lease(), std::int64_t(7205759403792793601LL));
    FakeEtcdWire::Call range = m_wire.take();
    QCOMPARE(range.path, QStringLiteral("/v3/kv/range"));
    QCOMPARE(decoded(range.body, "key"), QByteArray("/rebound/policies"));
    range.done(QByteArray("{\"header\":" + header(9) + ",\"kvs\":[" +
                          kv("/rebound/policies", kGood, 5) + "],\"count\":\"1\"}"));
    QCOMPARE(m_store->history().size(), 1);
    QCOMPARE(m_store->history().last().number, 5);
    QCOMPARE(m_store->current()->policyFor(QStringLiteral("any")).backoff.maxAttempts, 4);
    expectAck(5, true);
    QVERIFY(m_wire.watch);
    const QJsonObject create =
        m_wire.watch->requests.first().value(QStringLiteral("create_request")).toObject();
    QCOMPARE(decoded(create, "key"), QByteArray("/rebound/policies"));
    QCOMPARE(create.value(QStringLiteral("start_revision")).toString(), QStringLiteral("10"));
    QCOMPARE(create.value(QStringLiteral("progress_notify")).toBool(), true);
    m_wire.feed("{\"result\":{\"watch_id\":\"1\",\"header\":" + header(9) + ",\"created\":true}}");
    QCOMPARE(m_session->state(), FleetSession::State::Live);
    QVERIFY(m_wire.calls.empty());
}

void TestPolicyFeed::connectsGrantsRangesAppliesAcknowledgesAndWatches()
{
    connectLive();
    QSignalSpy seen(m_feed.get(), &PolicyFeed::versionSeen);
    // A new version through the watch: applied under its mod_revision, acknowledged.
    m_wire.feed("{\"result\":{\"watch_id\":\"1\",\"header\":" + header(12) +
                ",\"events\":[{\"kv\":" + kv("/rebound/policies", kGood2, 12) + "}]}}");
    QCOMPARE(m_store->history().last().number, 12);
    QCOMPARE(m_store->current()->policyFor(QStringLiteral("any")).backoff.maxAttempts, 6);
    expectAck(12, true);
    QCOMPARE(seen.size(), 1);
    QCOMPARE(seen.first().at(0).value<std::int64_t>(), std::int64_t(12));
    // The same version again (a replay) changes nothing and is not acknowledged twice.
    m_wire.feed("{\"result\":{\"watch_id\":\"1\",\"header\":" + header(12) +
                ",\"events\":[{\"kv\":" + kv("/rebound/policies", kGood2, 12) + "}]}}");
    QVERIFY(m_wire.calls.empty());
    QCOMPARE(m_store->history().size(), 2);
}

void TestPolicyFeed::invalidVersionIsRefusedAndTheLastGoodStays()
{
    connectLive();
    QSignalSpy seen(m_feed.get(), &PolicyFeed::versionSeen);
    m_wire.feed("{\"result\":{\"watch_id\":\"1\",\"header\":" + header(11) +
                ",\"events\":[{\"kv\":" + kv("/rebound/policies", kInvalid, 11) + "}]}}");
    QCOMPARE(m_store->history().last().number, 5);
    QCOMPARE(m_store->current()->policyFor(QStringLiteral("any")).backoff.maxAttempts, 4);
    QCOMPARE(seen.size(), 1);
    QCOMPARE(seen.first().at(1).toBool(), false);
    QVERIFY2(seen.first().at(2).toString().contains(QStringLiteral("multiplier")),
             qPrintable(seen.first().at(2).toString()));
    expectAck(11, false);
    QCOMPARE(m_feed->seenRevision(), std::int64_t(11));
    QCOMPARE(m_session->state(), FleetSession::State::Live);
}

void TestPolicyFeed::deleteNeverMeansNoPolicies()
{
    connectLive();
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("policy_delete_ignored")));
    m_wire.feed("{\"result\":{\"watch_id\":\"1\",\"header\":" + header(13) +
                ",\"events\":[{\"type\":\"DELETE\","
                "\"kv\":{\"key\":\"" +
                b64("/rebound/policies") + "\",\"mod_revision\":\"13\"}}]}}");
    QCOMPARE(m_store->history().size(), 1);
    QCOMPARE(m_store->current()->policyFor(QStringLiteral("any")).backoff.maxAttempts, 4);
    QVERIFY(m_wire.calls.empty());
    // The next publish after the delete applies as usual.
    m_wire.feed("{\"result\":{\"watch_id\":\"1\",\"header\":" + header(14) +
                ",\"events\":[{\"kv\":" + kv("/rebound/policies", kGood2, 14) + "}]}}");
    QCOMPARE(m_store->history().last().number, 14);
    expectAck(14, true);
}

void TestPolicyFeed::compactedStartRangesAgain()
{
    connectLive();
    m_wire.feed("{\"result\":{\"watch_id\":\"1\",\"header\":" + header(30) +
                ",\"events\":[]}}"); // progress
    m_wire.feed(
        "{\"result\":{\"watch_id\":\"1\",\"header\":{\"raft_term\":\"2\"},\"canceled\":true,"
        "\"compact_revision\":\"25\"}}");
    QVERIFY(!m_wire.watch);
    FakeEtcdWire::Call range = m_wire.take();
    QCOMPARE(range.path, QStringLiteral("/v3/kv/range"));
    range.done(QByteArray("{\"header\":" + header(40) + ",\"kvs\":[" +
                          kv("/rebound/policies", kGood2, 33) + "],\"count\":\"1\"}"));
    QCOMPARE(m_store->history().last().number, 33);
    expectAck(33, true);
    QVERIFY(m_wire.watch);
    QCOMPARE(m_wire.watch->requests.first()
                 .value(QStringLiteral("create_request"))
                 .toObject()
                 .value(QStringLiteral("start_revision"))
                 .toString(),
             QStringLiteral("41"));
}

void TestPolicyFeed::endedStreamResumesAfterJitteredBackoff()
{
    connectLive();
    // A progress notification moves the resume point past revisions that did not touch the key.
    m_wire.feed("{\"result\":{\"watch_id\":\"1\",\"header\":" + header(20) + "}}");
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("etcd_disconnected")));
    m_wire.watch->ended(Error{QStringLiteral("etcd-unreachable"), QStringLiteral("refused")});
    QCOMPARE(m_session->state(), FleetSession::State::Disconnected);
    QCOMPARE(m_session->lastError(), QStringLiteral("refused"));
    // Equal jitter over 500 ms with the scripted draw 0.5: 250 + 0.5 x 250 = 375 ms.
    QCOMPARE(m_session->retryAt(), std::optional(m_clock.steadyNow() + Duration(375)));
    const int opened = m_wire.watchesOpened;
    m_clock.advance(Duration(374));
    QCOMPARE(m_wire.watchesOpened, opened);
    m_clock.advance(Duration(1));
    // The lease still holds: straight back to the watch, from after the last revision seen.
    QCOMPARE(m_wire.watchesOpened, opened + 1);
    QVERIFY(m_wire.calls.empty());
    QCOMPARE(m_wire.watch->requests.first()
                 .value(QStringLiteral("create_request"))
                 .toObject()
                 .value(QStringLiteral("start_revision"))
                 .toString(),
             QStringLiteral("21"));
    // A second failure before it is live waits twice as long: 500 + 0.5 x 500 = 750 ms.
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("etcd_disconnected")));
    m_wire.watch->ended(Error{QStringLiteral("etcd-unreachable"), QStringLiteral("refused")});
    QCOMPARE(m_session->retryAt(), std::optional(m_clock.steadyNow() + Duration(750)));
}

void TestPolicyFeed::expiredLeaseIsReplacedAndTheAckPutAgain()
{
    connectLive();
    m_clock.advance(Duration(2999));
    QVERIFY(m_wire.calls.empty());
    m_clock.advance(Duration(1)); // TTL / 3
    FakeEtcdWire::Call keep = m_wire.take();
    QCOMPARE(keep.path, QStringLiteral("/v3/lease/keepalive"));
    QCOMPARE(keep.body.value(QStringLiteral("ID")).toString(), kLease);
    keep.done(QByteArray("{\"result\":{\"watch_id\":\"1\",\"header\":" + header(9) + ",\"ID\":\"" +
                         kLease.toLatin1() + "\",\"TTL\":\"9\"}}"));
    QCOMPARE(m_session->state(), FleetSession::State::Live);
    m_wire.feed("{\"result\":{\"watch_id\":\"1\",\"header\":" + header(9) +
                "}}"); // progress: the stream lives
    m_clock.advance(Duration(3000));
    keep = m_wire.take();
    // No TTL: the lease is gone (etcd was away longer than it).
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("lease_expired")));
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("etcd_disconnected")));
    keep.done(QByteArray("{\"result\":{\"watch_id\":\"1\",\"header\":" + header(9) + ",\"ID\":\"" +
                         kLease.toLatin1() + "\"}}"));
    QCOMPARE(m_session->state(), FleetSession::State::Disconnected);
    m_clock.advance(Duration(375));
    FakeEtcdWire::Call grant = m_wire.take();
    QCOMPARE(grant.path, QStringLiteral("/v3/lease/grant"));
    grant.done(QByteArray("{\"header\":" + header(9) + ",\"ID\":\"42\",\"TTL\":\"9\"}"));
    expectAck(5, true, QStringLiteral("42"));
    QCOMPARE(m_wire.watch->requests.first()
                 .value(QStringLiteral("create_request"))
                 .toObject()
                 .value(QStringLiteral("start_revision"))
                 .toString(),
             QStringLiteral("10"));
}

void TestPolicyFeed::silentStreamIsOpenedAgain()
{
    connectLive();
    // Heartbeat 2 000 ms: silent for 2 x 2 000 + 1 000 ms means dead. Every line re-arms it.
    m_clock.advance(Duration(4000));
    m_wire.take().done(
        QByteArray("{\"result\":{\"watch_id\":\"1\",\"header\":" + header(9) + ",\"TTL\":\"9\"}}"));
    m_wire.feed("{\"result\":{\"watch_id\":\"1\",\"header\":" + header(15) +
                "}}"); // progress at t = 4 000
    m_clock.advance(Duration(2000));
    m_wire.take().done(
        QByteArray("{\"result\":{\"watch_id\":\"1\",\"header\":" + header(9) + ",\"TTL\":\"9\"}}"));
    m_clock.advance(Duration(2999));
    QCOMPARE(m_session->state(), FleetSession::State::Live);
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("etcd_disconnected")));
    m_clock.advance(Duration(1));
    QCOMPARE(m_session->state(), FleetSession::State::Disconnected);
    QCOMPARE(m_session->lastError(),
             QStringLiteral("watch: no message for 5000 ms (progress notifications expected "
                            "every 2000 ms)"));
    QVERIFY(!m_wire.watch);
    m_clock.advance(Duration(375));
    QCOMPARE(m_wire.watch->requests.first()
                 .value(QStringLiteral("create_request"))
                 .toObject()
                 .value(QStringLiteral("start_revision"))
                 .toString(),
             QStringLiteral("16"));
}

void TestPolicyFeed::codec_data()
{
    QTest::addColumn<QByteArray>("line");
    QTest::addColumn<QString>("error"); // empty: decodes
    QTest::addColumn<qint64>("revision");
    QTest::newRow("progress") << QByteArray(
                                     R"({"result":{"header":{"revision":"9007199254740993"}}})")
                              << QString() << qint64(9007199254740993LL);
    QTest::newRow("number revision")
        << QByteArray(R"({"result":{"header":{"revision":12}}})") << QString() << qint64(12);
    QTest::newRow("fractional revision")
        << QByteArray(R"({"result":{"header":{"revision":1.5}}})")
        << QStringLiteral("watch.result.header.revision") << qint64(0);
    QTest::newRow("text revision") << QByteArray(R"({"result":{"header":{"revision":"x"}}})")
                                   << QStringLiteral("expected a 64-bit integer") << qint64(0);
    QTest::newRow("not base64")
        << QByteArray(R"({"result":{"header":{"revision":"3"},"events":[{"kv":{"key":"%%%"}}]}})")
        << QStringLiteral("watch.result.events[0].kv.key: not base64") << qint64(0);
    QTest::newRow("unknown event")
        << QByteArray(
               R"({"result":{"header":{"revision":"3"},"events":[{"type":"MOVE","kv":{}}]}})")
        << QStringLiteral("watch.result.events[0].type") << qint64(0);
    QTest::newRow("gateway error")
        << QByteArray(
               R"({"error":{"grpc_code":9,"message":"etcdserver: mvcc: required revision has been compacted"}})")
        << QStringLiteral("watch: etcdserver: mvcc") << qint64(0);
    QTest::newRow("not json") << QByteArray("{\"result\":")
                              << QStringLiteral("watch: expected a JSON object") << qint64(0);
    QTest::newRow("no result") << QByteArray("{}") << QStringLiteral("watch: no result")
                               << qint64(0);
}

void TestPolicyFeed::codec()
{
    QFETCH(QByteArray, line);
    QFETCH(QString, error);
    QFETCH(qint64, revision);
    const auto m = EtcdCodec::watchLine(line);
    if (error.isEmpty()) {
        QVERIFY2(m.ok(), m.ok() ? "" : qPrintable(m.error().message));
        QCOMPARE(qint64(m->revision), revision);
    } else {
        QVERIFY(!m.ok());
        QVERIFY2(m.error().message.contains(error), qPrintable(m.error().message));
    }
}

void TestPolicyFeed::fleetStatusReadsAcknowledgements()
{
    // One range of the whole prefix as etcd answers it: the policy, acknowledgements and budget
    // reports (other keys under status/ are skipped), registrations with their leases, shard
    // claims.
    const QByteArray registration =
        "{\"key\":\"" + b64("/rebound/members/zeta") +
        "\",\"create_revision\":\"3\",\"mod_revision\":\"3\",\"value\":\"" + b64("{}") +
        "\",\"lease\":\"" + kLease.toLatin1() + "\"}";
    const QByteArray range =
        "{\"header\":" + header(20) + ",\"kvs\":[" + kv("/rebound/policies", kGood, 17) + "," +
        kv("/rebound/status/zeta/policy", R"({"rev":17,"ok":true,"error":""})", 18) + "," +
        kv("/rebound/status/alpha/policy", R"({"rev":17,"ok":false,"error":"a: bad\nb: bad"})",
           19) +
        "," +
        kv("/rebound/status/alpha/budget",
           R"({"mode":"local","divisor":3,"cause":"redis down: Connection refused"})", 19) +
        "," + kv("/rebound/status/zeta/budget", R"({"mode":"shared","divisor":3,"cause":""})", 19) +
        "," + kv("/rebound/status/alpha/other", "{}", 19) + "," +
        kv("/rebound/status//policy", "{}", 19) + "," + registration + "," +
        kv("/rebound/shards/0", "zeta", 4) + "," + kv("/rebound/shards/5", "zeta", 5) + "," +
        kv("/rebound/shards/9", "omega", 6) + "]}";
    FleetSnapshot s = FleetStatus::fromRange(FleetKeys("/rebound"), *EtcdCodec::range(range));
    QCOMPARE(s.policyRevision, std::int64_t(17));
    QCOMPARE(s.claimedShards, 3);
    QCOMPARE(s.members.size(), 3);
    QCOMPARE(s.members[0].member, QStringLiteral("alpha")); // ordered by id
    QCOMPARE(s.members[0].ok, false);
    QCOMPARE(s.members[0].error, QStringLiteral("a: bad\nb: bad"));
    QVERIFY(!s.members[0].registered);
    QCOMPARE(s.members[0].budget, QStringLiteral("local 1/3"));
    QCOMPARE(s.members[0].budgetCause, QStringLiteral("redis down: Connection refused"));
    QCOMPARE(s.members[2].budget, QStringLiteral("redis"));
    QCOMPARE(s.members[1].budget, QString()); // no Redis: nothing said
    // A shard holder that has not acknowledged any policy yet is still a member.
    QCOMPARE(s.members[1].member, QStringLiteral("omega"));
    QCOMPARE(s.members[1].revision, std::int64_t(0));
    QCOMPARE(s.members[1].shards, 1);
    QCOMPARE(s.members[2].member, QStringLiteral("zeta"));
    QCOMPARE(s.members[2].revision, std::int64_t(17));
    QVERIFY(s.members[2].registered);
    QCOMPARE(s.members[2].lease, std::int64_t(7205759403792793601LL));
    QCOMPARE(s.members[2].shards, 2);
    QCOMPARE(s.members[2].leaseTtl, std::int64_t(-1)); // read separately
    // Nothing published yet.
    s = FleetStatus::fromRange(FleetKeys("/rebound"),
                               *EtcdCodec::range("{\"header\":" + header(3) + "}"));
    QCOMPARE(s.policyRevision, std::int64_t(0));
    QVERIFY(s.members.isEmpty());
    QVERIFY(!EtcdCodec::range("{").ok()); // an answer that cannot be read reaches nobody
}

QTEST_GUILESS_MAIN(TestPolicyFeed)
#include "tst_policyfeed.moc"
