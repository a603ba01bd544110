// Integration tests of the fleet's config centre against a real etcd (Debian's etcd-server):
// members in this process (each with its own connection, store and lease) and reboundctl.
#include "EtcdProcess.h"
#include "InProcessMember.h"
#include "ProcessRun.h"
#include "TaskdProcess.h"
#include "TcpCutProxy.h"
#include "WatchMember.h"
#include "fleet/EtcdAccess.h"
#include "fleet/EtcdCodec.h"
#include "fleet/FleetKeys.h"
#include "fleet/HttpEtcdWire.h"
#include "fleet/PolicyFeed.h"
#include "fleet/ShardOwner.h"
#include "policy/PolicyStore.h"
#include "remote/EndpointConfig.h"
#include "remote/Fence.h"
#include "time/QtTimerSource.h"
#include "time/SeededRandom.h"
#include "time/SystemClock.h"

#include <QDirIterator>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <sys/types.h>

using namespace rebound;

namespace {

const QByteArray kGood = R"({"version":1,"policies":[{"name":"p","backoff":{"maxAttempts":4}}]})";
const QByteArray kGood2 = R"({"version":1,"policies":[{"name":"p","backoff":{"maxAttempts":7}}]})";
const QByteArray kInvalid =
    R"({"version":1,"policies":[{"name":"p","backoff":{"multiplier":0.5}}]})";

ProcessRun ctl(const QStringList &args)
{
    return runProcess(QStringLiteral(REBOUNDCTL_PATH), args,
                      QProcessEnvironment::systemEnvironment());
}

struct Member : InProcessMember
{
    Member(const QString &url, const QString &id, SystemClock &clock, QtTimerSource &timers,
           SeededRandom &rng)
        : InProcessMember(url, id, clock, timers, rng, Duration(4000), Duration(1000))
    {}
};

} // namespace

class TestFleet final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void publishIsAppliedAndAcknowledgedByEveryMember();
    void invalidVersionIsRefusedByAllAndTheLastGoodStays();
    void cutOffMemberResumesAcrossACompaction();
    void etcdRestartIsSurvived();
    void everyShardHasOneOwnerAndACrashedOnesMove();
    void pausedOwnerDoesNotActAfterItsLeaseRanOut();
    void claimIsAnnouncedBeforeTheOwnerActs();
    void endpointSpelledDifferentlyIsRefusedVisibly();
    void leaseEndsWithTheMember();
    void authenticatedOverTls();

private:
    QByteArray put(const QByteArray &key, const QByteArray &value);
    std::int64_t publishWithCli(const QByteArray &document);
    /// A taskd whose attempts fail 70 % of the time, under a published policy that retries
    /// every 100-300 ms with no guard in the way: every shard keeps having retries to start.
    bool startRetryingForever(TaskdProcess &taskd);
    QString fleetStatus();

    QTemporaryDir m_dir;
    std::unique_ptr<EtcdProcess> m_etcd;
    SystemClock m_clock;
    QtTimerSource m_timers{m_clock};
    SeededRandom m_rng{7};
};

void TestFleet::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QVERIFY2(QFile::exists(QStringLiteral(REBOUNDCTL_PATH)), REBOUNDCTL_PATH);
}

void TestFleet::init()
{
    m_etcd = std::make_unique<EtcdProcess>();
    QVERIFY2(m_etcd->start(), qPrintable(m_etcd->error));
}

void TestFleet::cleanup()
{
    m_etcd.reset();
}

QByteArray TestFleet::put(const QByteArray &key, const QByteArray &value)
{
    HttpEtcdWire wire{QUrl(m_etcd->url)};
    std::optional<Result<QByteArray>> answer;
    wire.call(QStringLiteral("/v3/kv/put"),
              {{QStringLiteral("key"), EtcdCodec::base64(key)},
               {QStringLiteral("value"), EtcdCodec::base64(value)}},
              [&](Result<QByteArray> r) { answer = std::move(r); });
    if (!QTest::qWaitFor([&] { return answer.has_value(); }, 10'000) || !*answer)
        return {};
    return **answer;
}

bool TestFleet::startRetryingForever(TaskdProcess &taskd)
{
    if (!taskd.start(0, R"({"default":{"unavailable":0.7,"retryAfterProbability":0,)"
                        R"("latencyMinMs":5,"latencyMaxMs":20}})")) {
        qWarning("taskd: %s", qPrintable(taskd.error));
        return false;
    }
    return publishWithCli(R"({"version":1,"policies":[{"name":"p","backoff":{"initialDelayMs":100,)"
                          R"("maxDelayMs":300,"maxAttempts":1000,"multiplier":2,"jitter":"none"},)"
                          R"("breaker":{"windowSize":100000,"minimumNumberOfCalls":100000},)"
                          R"("health":{"unhealthyScore":100},)"
                          R"("budget":{"budgetPercent":0,"maxTokens":0,"ratePerSecond":0}}]})") > 0;
}

std::int64_t TestFleet::publishWithCli(const QByteArray &document)
{
    const QString file = m_dir.filePath(QStringLiteral("publish.json"));
    QFile f(file);
    if (!f.open(QIODevice::WriteOnly))
        return 0;
    f.write(document);
    f.close();
    const ProcessRun r = ctl({QStringLiteral("policy"), QStringLiteral("publish"), file,
                              QStringLiteral("--etcd"), m_etcd->url});
    // "published FILE as policy version N"
    if (r.code != 0)
        qWarning("publish: %s", qPrintable(r.err));
    return r.code == 0 ? r.out.trimmed().split(u' ').last().toLongLong() : 0;
}

QString TestFleet::fleetStatus()
{
    return ctl({QStringLiteral("fleet"), QStringLiteral("status"), QStringLiteral("--etcd"),
                m_etcd->url})
        .out;
}

void TestFleet::publishIsAppliedAndAcknowledgedByEveryMember()
{
    Member a(m_etcd->url, QStringLiteral("a"), m_clock, m_timers, m_rng);
    Member b(m_etcd->url, QStringLiteral("b"), m_clock, m_timers, m_rng);
    QTRY_VERIFY(a.session.state() == FleetSession::State::Live &&
                b.session.state() == FleetSession::State::Live);
    QCOMPARE(a.version(), 0); // nothing published yet: the built-in defaults
    const std::int64_t rev = publishWithCli(kGood);
    QVERIFY(rev > 0);
    QTRY_COMPARE(a.version(), int(rev));
    QTRY_COMPARE(b.version(), int(rev));
    QCOMPARE(a.maxAttempts(), 4);
    QCOMPARE(a.store.history().last().content, kGood);
    // A member that joins later reads the current version first.
    Member c(m_etcd->url, QStringLiteral("c"), m_clock, m_timers, m_rng);
    QTRY_COMPARE(c.version(), int(rev));
    QTRY_VERIFY2(fleetStatus().contains(QStringLiteral("members: 3")), qPrintable(fleetStatus()));
    const QString status = fleetStatus();
    QVERIFY2(status.contains(QStringLiteral("policies: revision %1").arg(rev)), qPrintable(status));
    for (const char *m : {"a", "b", "c"})
        QVERIFY2(
            QRegularExpression(QStringLiteral("\\n%1 +%2 +applied").arg(QLatin1String(m)).arg(rev))
                .match(status)
                .hasMatch(),
            qPrintable(status));
    // Rollback is a publish of the older document: a new version, the old rules.
    const std::int64_t rev2 = publishWithCli(kGood2);
    QTRY_COMPARE(a.maxAttempts(), 7);
    const std::int64_t rev3 = publishWithCli(kGood);
    QVERIFY(rev3 > rev2);
    QTRY_COMPARE(b.version(), int(rev3));
    QCOMPARE(b.maxAttempts(), 4);
}

void TestFleet::invalidVersionIsRefusedByAllAndTheLastGoodStays()
{
    Member a(m_etcd->url, QStringLiteral("a"), m_clock, m_timers, m_rng);
    Member b(m_etcd->url, QStringLiteral("b"), m_clock, m_timers, m_rng);
    const std::int64_t good = publishWithCli(kGood);
    QTRY_COMPARE(a.version(), int(good));
    QTRY_COMPARE(b.version(), int(good));
    // The CLI refuses to publish it; someone writing the key directly is not stopped by that.
    const QString file = m_dir.filePath(QStringLiteral("invalid.json"));
    QFile f(file);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(kInvalid);
    f.close();
    const ProcessRun refused = ctl({QStringLiteral("policy"), QStringLiteral("publish"), file,
                                    QStringLiteral("--etcd"), m_etcd->url});
    QCOMPARE(refused.code, 1);
    QVERIFY2(refused.err.contains(QStringLiteral("policies[0].backoff.multiplier: must be")),
             qPrintable(refused.err));
    QSignalSpy seenA(&a.feed, &PolicyFeed::versionSeen);
    QVERIFY(!put("/rebound/policies", kInvalid).isEmpty());
    QTRY_COMPARE(seenA.size(), 1);
    QCOMPARE(seenA.first().at(1).toBool(), false);
    QCOMPARE(a.version(), int(good));
    QCOMPARE(a.maxAttempts(), 4);
    QTRY_VERIFY2(fleetStatus().count(QRegularExpression(QStringLiteral(
                     R"(refused +0 +- +- +policies\[0\]\.backoff\.multiplier)"))) == 2,
                 qPrintable(fleetStatus()));
    QCOMPARE(b.version(), int(good));
    // A DELETE is not "no policies".
    HttpEtcdWire wire{QUrl(m_etcd->url)};
    bool deleted = false;
    wire.call(QStringLiteral("/v3/kv/deleterange"),
              {{QStringLiteral("key"), EtcdCodec::base64("/rebound/policies")}},
              [&](Result<QByteArray> r) { deleted = r.ok(); });
    QTRY_VERIFY(deleted);
    const std::int64_t after = publishWithCli(kGood2);
    QTRY_COMPARE(a.version(), int(after));
    QCOMPARE(a.store.history().size(), 2); // good, then good2: nothing in between

    // A member that starts while an invalid version stands runs the last valid one (etcd's
    // earlier revision of the key), and its acknowledgement says so.
    seenA.clear();
    QVERIFY(!put("/rebound/policies", kInvalid).isEmpty());
    QTRY_COMPARE(seenA.size(), 1);
    Member c(m_etcd->url, QStringLiteral("c"), m_clock, m_timers, m_rng);
    QTRY_COMPARE(c.version(), int(after));
    QCOMPARE(c.store.history().last().content, kGood2);
    QTRY_VERIFY2(
        fleetStatus().contains(QStringLiteral("runs version %1, the last valid one").arg(after)),
        qPrintable(fleetStatus()));
}

void TestFleet::cutOffMemberResumesAcrossACompaction()
{
    TcpCutProxy proxy(m_etcd->clientPort);
    QVERIFY(proxy.start());
    Member a(proxy.url(), QStringLiteral("a"), m_clock, m_timers, m_rng);
    const std::int64_t first = publishWithCli(kGood);
    QTRY_COMPARE(a.version(), int(first));
    proxy.cut();
    QTRY_COMPARE(a.session.state(), FleetSession::State::Disconnected);
    QVERIFY(!a.session.lastError().isEmpty());
    // While it is away: two versions, and the history before the second is compacted.
    publishWithCli(kGood2);
    const std::int64_t last = publishWithCli(kGood);
    HttpEtcdWire wire{QUrl(m_etcd->url)};
    bool compacted = false;
    wire.call(QStringLiteral("/v3/kv/compaction"),
              {{QStringLiteral("revision"), EtcdCodec::int64Text(last)}},
              [&](Result<QByteArray> r) { compacted = r.ok(); });
    QTRY_VERIFY(compacted);
    QCOMPARE(a.version(), int(first)); // kept while away
    QVERIFY(proxy.restore());
    // Its watch from before the compaction is canceled; it reads the key again.
    QTRY_COMPARE_WITH_TIMEOUT(a.version(), int(last), 15'000);
    QTRY_COMPARE(a.session.state(), FleetSession::State::Live);
    QCOMPARE(a.store.history().size(), 2); // the middle version was never seen, as expected
}

void TestFleet::etcdRestartIsSurvived()
{
    Member a(m_etcd->url, QStringLiteral("a"), m_clock, m_timers, m_rng);
    const std::int64_t first = publishWithCli(kGood);
    QTRY_COMPARE(a.version(), int(first));
    // Whether the member sees its stream end (and reopens it), or Qt re-sends the watch request
    // to the new etcd by itself, or the stream falls silent and is reopened after 2 heartbeats +
    // 1 s: what counts is that the next version arrives.
    QVERIFY2(m_etcd->restart(), qPrintable(m_etcd->error));
    const std::int64_t next = publishWithCli(kGood2);
    QVERIFY(next > first);
    QTRY_COMPARE_WITH_TIMEOUT(a.version(), int(next), 15'000);
    QCOMPARE(a.session.state(), FleetSession::State::Live);
    QTRY_VERIFY2(fleetStatus().contains(QStringLiteral("%1  ").arg(next)),
                 qPrintable(fleetStatus()));
}

void TestFleet::leaseEndsWithTheMember()
{
    // A watch process in fleet mode: its acknowledgement is there while it runs and gone once
    // it exits (lease revoked), not a TTL later.
    publishWithCli(kGood);
    QProcess watch;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("REBOUND_TOKEN"), QStringLiteral("unused"));
    watch.setProcessEnvironment(env);
    watch.start(QStringLiteral(REBOUNDCTL_PATH),
                {QStringLiteral("watch"), QStringLiteral("--url"),
                 QStringLiteral("http://127.0.0.1:9"), QStringLiteral("--etcd"), m_etcd->url,
                 QStringLiteral("--member"), QStringLiteral("w1"), QStringLiteral("--duration"),
                 QStringLiteral("3"), QStringLiteral("--db"),
                 m_dir.filePath(QStringLiteral("w1.sqlite"))});
    QVERIFY(watch.waitForStarted());
    QTRY_VERIFY2(fleetStatus().contains(QStringLiteral("members: 1")), qPrintable(fleetStatus()));
    QVERIFY(fleetStatus().contains(QStringLiteral("\nw1 ")));
    QVERIFY(watch.waitForFinished(15'000));
    QCOMPARE(watch.exitCode(), 0);
    const QByteArray log = watch.readAllStandardOutput();
    QVERIFY2(log.contains("\"cause\":\"lease revoked\",\"event\":\"member_left\""),
             log.constData());
    QCOMPARE(fleetStatus().contains(QStringLiteral("members: 0")), true);
}

void TestFleet::everyShardHasOneOwnerAndACrashedOnesMove()
{
    constexpr int kShards = 16;
    const auto make = [&](const char *id) {
        return std::make_unique<InProcessMember>(m_etcd->url, QString::fromLatin1(id), m_clock,
                                                 m_timers, m_rng, Duration(4000), Duration(1000),
                                                 kShards);
    };
    std::map<QString, std::unique_ptr<InProcessMember>> members;
    for (const char *id : {"a", "b", "c"})
        members[QString::fromLatin1(id)] = make(id);
    // Each shard acted on by exactly one member, and that member is the one etcd shows.
    const auto settled = [&](const QStringList &live) {
        QHash<int, QString> actor;
        for (const auto &[id, m] : members) {
            for (int s : m->owner->owned()) {
                if (actor.contains(s))
                    return false; // two members acting on one shard
                actor.insert(s, id);
            }
        }
        if (actor.size() != kShards)
            return false;
        for (int s = 0; s < kShards; ++s)
            if (actor.value(s) != ShardOwner::ownerOf(s, live))
                return false;
        return true;
    };
    QTRY_VERIFY_WITH_TIMEOUT(
        settled({QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c")}), 10'000);
    const QList<int> ofB = members[QStringLiteral("b")]->owner->owned();
    QVERIFY(!ofB.isEmpty());
    const QHash<int, QString> before = members[QStringLiteral("a")]->owner->owners();
    // "b" crashes: no revoke, its lease runs out on etcd's side (4 s), then a and c claim its
    // shards — and only its shards move.
    QElapsedTimer sinceCrash;
    sinceCrash.start();
    members.erase(QStringLiteral("b"));
    QTRY_VERIFY_WITH_TIMEOUT(settled({QStringLiteral("a"), QStringLiteral("c")}), 10'000);
    qInfo("b's %lld shards moved %lld ms after the crash (lease TTL 4 000 ms)", qint64(ofB.size()),
          sinceCrash.elapsed());
    const QHash<int, QString> after = members[QStringLiteral("a")]->owner->owners();
    for (int s = 0; s < kShards; ++s)
        if (!ofB.contains(s))
            QCOMPARE(after.value(s), before.value(s));
}

void TestFleet::pausedOwnerDoesNotActAfterItsLeaseRanOut()
{
    // Two `reboundctl watch` members share a taskd whose attempts fail 70 % of the time, so
    // every shard keeps having retries to start. One member is SIGSTOPped for more than two
    // lease TTLs, then woken: by then the other owns its shards, and the woken one must not act
    // on them — taskd would refuse its fence (counted) or its start would double an attempt
    // (answered 412). (The woken member usually hears of the other's retries through push
    // before its own timers run; that its lease ends by its own clock is pinned exactly in
    // tst_shardowner.)
    TaskdProcess taskd;
    QVERIFY(startRetryingForever(taskd));
    const WatchMember watch{
        taskd.url, m_etcd->url, 2, 8, m_dir.path(), m_dir.filePath(QStringLiteral("%1.log")), {}};
    std::map<QString, std::unique_ptr<QProcess>> members;
    for (const char *id : {"a", "b"}) {
        members[QString::fromLatin1(id)] = watch.start(QString::fromLatin1(id));
        QCOMPARE(members[QString::fromLatin1(id)]->state(), QProcess::Running);
    }
    const auto cleanupMembers = qScopeGuard([&] {
        for (auto &[id, p] : members) {
            ::kill(pid_t(p->processId()), SIGCONT);
            p->kill();
            p->waitForFinished(5000);
        }
    });
    const QRegularExpression row(QStringLiteral(R"(\n(\w+) +\S+ +\S+ +(\d+) )"));
    const auto shardsOf = [&](const QString &status) {
        QHash<QString, int> out;
        for (auto it = row.globalMatch(status); it.hasNext();) {
            const auto m = it.next();
            out.insert(m.captured(1), m.captured(2).toInt());
        }
        return out;
    };
    for (int i = 0; i < 30; ++i)
        QVERIFY(!taskd.createTask(QStringLiteral("s.work")).isEmpty());
    QString status;
    QTRY_VERIFY2_WITH_TIMEOUT(
        [&] {
            status = fleetStatus();
            const auto s = shardsOf(status);
            return s.value(QStringLiteral("a")) > 0 && s.value(QStringLiteral("b")) > 0 &&
                   s.value(QStringLiteral("a")) + s.value(QStringLiteral("b")) == 8;
        }(),
        qPrintable(status), 60'000); // seconds alone; once 30 s beside the chaos suites (2 s leases)
    const QByteArray autoStarted =
        "rebound_taskd_attempts_started_total{type=\"s.work\",reason=\"auto\"}";
    QTRY_VERIFY_WITH_TIMEOUT(taskd.metricSum(autoStarted) > 0, 10'000); // both at work
    const double autoBefore = taskd.metricSum(autoStarted);
    ::kill(pid_t(members[QStringLiteral("a")]->processId()), SIGSTOP);
    for (int i = 0; i < 20; ++i)
        QVERIFY(!taskd.createTask(QStringLiteral("s.work")).isEmpty());
    // a's lease runs out (2 s), b claims its shards.
    QTRY_VERIFY_WITH_TIMEOUT(shardsOf(fleetStatus()).value(QStringLiteral("b")) == 8, 10'000);
    (void)QTest::qWaitFor([&] { return taskd.metricSum(autoStarted) > autoBefore; }, 10'000);
    const double autoDuring = taskd.metricSum(autoStarted);
    QVERIFY2(autoDuring > autoBefore,
             qPrintable(QStringLiteral("b went on retrying while a was stopped: %1 -> %2 auto "
                                       "attempts; %3")
                            .arg(autoBefore)
                            .arg(autoDuring)
                            .arg(fleetStatus())));
    ::kill(pid_t(members[QStringLiteral("a")]->processId()), SIGCONT);
    // a wakes with its timers due and its lease gone by its own clock: it acts on nothing,
    // rejoins with a new lease and gets shards back.
    QTRY_VERIFY_WITH_TIMEOUT(shardsOf(fleetStatus()).value(QStringLiteral("a")) > 0, 15'000);
    QTest::qWait(2000);
    QCOMPARE(taskd.metric("rebound_taskd_stale_fence_refusals_total"), 0.0);
    QCOMPARE(taskd.metricSum("rebound_taskd_conflict_answers_total{status=\"412\"}"), 0.0);
}

void TestFleet::claimIsAnnouncedBeforeTheOwnerActs()
{
    // No task anywhere, so no member ever acts: whatever taskd knows of a shard's fence it
    // was told by an announcement. Then a second member joins and claims some shards; the
    // first member's fence for those is refused at once, though the new owner never acted.
    TaskdProcess taskd;
    QVERIFY2(taskd.start(), qPrintable(taskd.error));
    QVERIFY(publishWithCli(
                R"({"version":1,"policies":[{"name":"p","backoff":{"initialDelayMs":100,)"
                R"("maxDelayMs":300,"maxAttempts":3,"multiplier":2,"jitter":"none"}}]})") > 0);
    const WatchMember watch{
        taskd.url, m_etcd->url, 2, 8, m_dir.path(), m_dir.filePath(QStringLiteral("%1.log")), {}};
    std::map<QString, std::unique_ptr<QProcess>> members;
    const auto cleanupMembers = qScopeGuard([&] {
        for (auto &[id, p] : members) {
            p->kill();
            p->waitForFinished(5000);
        }
    });
    // The fence taskd keeps for a shard: announcing revision 1 is refused with it (or kept,
    // when taskd knows none: 1 is below any claim etcd can make once a policy is published).
    const QRegularExpression below(QStringLiteral(R"(is below (\d+))"));
    const auto kept = [&](int shard) -> qint64 {
        const auto r =
            taskd.post(QStringLiteral("/v1/fences"),
                       QStringLiteral(R"({"shard":%1,"revision":1})").arg(shard).toUtf8());
        if (r.status != 409)
            return 0;
        return below.match(r.json().value(QStringLiteral("detail")).toString())
            .captured(1)
            .toLongLong();
    };
    members[QStringLiteral("a")] = watch.start(QStringLiteral("a"));
    QHash<int, qint64> first;
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            for (int s = 0; s < 8; ++s)
                first[s] = kept(s);
            return std::all_of(first.cbegin(), first.cend(), [](qint64 r) { return r > 1; });
        }(),
        15'000);
    QCOMPARE(taskd.metricSum("rebound_taskd_requests_total{route=\"/v1/tasks/{id}/attempts\""),
             0.0);
    members[QStringLiteral("b")] = watch.start(QStringLiteral("b"));
    QList<int> moved;
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            moved.clear();
            for (int s = 0; s < 8; ++s)
                if (kept(s) > first[s])
                    moved << s;
            return !moved.isEmpty() && moved.size() < 8;
        }(),
        15'000);
    // The old owner's fence, on an action in a moved shard: refused before anything is done.
    const QString endpoint = EndpointConfig::identity(QUrl(taskd.url));
    for (int s : std::as_const(moved)) {
        QString id;
        for (int i = 0; id.isEmpty(); ++i)
            if (ShardOwner::shardOf(endpoint, QStringLiteral("job:%1").arg(i), 8) == s)
                id = QStringLiteral("job:%1").arg(i);
        QCOMPARE(taskd
                     .post(QStringLiteral("/v1/tasks"),
                           QJsonDocument(QJsonObject{{QStringLiteral("type"), QStringLiteral("f")},
                                                     {QStringLiteral("id"), id}})
                               .toJson())
                     .status,
                 201);
        const auto r = taskd.post(QStringLiteral("/v1/tasks/") +
                                      QString::fromLatin1(QUrl::toPercentEncoding(id)) +
                                      QStringLiteral("/cancel"),
                                  R"({"reason":"exhausted"})",
                                  {{"Idempotency-Key", "k-" + id.toUtf8()},
                                   {"If-Match", "\"1\""},
                                   {"Rebound-Fence", Fence{s, first[s]}.text()}});
        QCOMPARE(r.status, 409);
        QCOMPARE(r.json().value(QStringLiteral("type")).toString(),
                 QStringLiteral("urn:rebound:problem:stale-fence"));
    }
}

void TestFleet::endpointSpelledDifferentlyIsRefusedVisibly()
{
    // One taskd, watched by `a` as http://127.0.0.1:P/ and by `b` as http://localhost:P: the
    // same service under two identities would hash each task to two shards (two members
    // deciding it). Neither may decide, and `fleet status` says why. `c` spells it like `a`
    // but with the trailing slash dropped — the same identity, no conflict with `a`.
    TaskdProcess taskd;
    QVERIFY(startRetryingForever(taskd));
    const QString local = QStringLiteral("http://localhost:%1").arg(taskd.port);
    WatchMember watch{taskd.url + u'/',
                      m_etcd->url,
                      2,
                      8,
                      m_dir.path(),
                      m_dir.filePath(QStringLiteral("%1.log")),
                      {}};
    std::map<QString, std::unique_ptr<QProcess>> members;
    const auto cleanupMembers = qScopeGuard([&] {
        for (auto &[id, p] : members) {
            p->kill();
            p->waitForFinished(5000);
        }
    });
    members[QStringLiteral("a")] = watch.start(QStringLiteral("a"));
    watch.taskdUrl = taskd.url;
    members[QStringLiteral("c")] = watch.start(QStringLiteral("c"));
    watch.taskdUrl = local;
    members[QStringLiteral("b")] = watch.start(QStringLiteral("b"));
    QTRY_VERIFY_WITH_TIMEOUT(fleetStatus().contains(QLatin1String("endpoints differ")), 15'000);
    const QString status = fleetStatus();
    QVERIFY2(status.contains(QStringLiteral("  a,c: ") + EndpointConfig::identity(QUrl(taskd.url))),
             qPrintable(status));
    QVERIFY2(status.contains(QStringLiteral("  b: ") + local), qPrintable(status));
    for (int i = 0; i < 20; ++i)
        QVERIFY(!taskd.createTask(QStringLiteral("s.work")).isEmpty());
    // Failures keep coming; nobody retries them, and nobody acts twice.
    QTRY_VERIFY_WITH_TIMEOUT(
        taskd.metricSum(
            "rebound_taskd_attempts_started_total{type=\"s.work\",reason=\"initial\"}") >= 20,
        10'000);
    QTest::qWait(2000);
    QCOMPARE(
        taskd.metricSum("rebound_taskd_attempts_started_total{type=\"s.work\",reason=\"auto\"}"),
        0.0);
    QCOMPARE(taskd.metricSum("rebound_taskd_conflict_answers_total{status=\"412\"}"), 0.0);
    // Each says so in its log.
    QFile log(m_dir.filePath(QStringLiteral("b.log")));
    QVERIFY(log.open(QIODevice::ReadOnly));
    const QByteArray lines = log.readAll();
    QVERIFY2(lines.contains("\"event\":\"endpoint_refused\""), lines.right(3000).constData());
}

void TestFleet::authenticatedOverTls()
{
    // etcd over TLS (the tests' self-signed certificate, also its own CA), then with
    // authentication on: a bad certificate and a wrong password are refused in words, a token
    // that expired is exchanged again, and the CLI and a watch member work with both.
    const QString tls = QStringLiteral(REBOUND_TEST_DATA "/tls/");
    EtcdProcess etcd;
    etcd.certFile = tls + QStringLiteral("server.pem");
    etcd.keyFile = tls + QStringLiteral("server.key");
    etcd.extraArgs = {QStringLiteral("--auth-token-ttl"), QStringLiteral("2")};
    QVERIFY2(etcd.start(), qPrintable(etcd.error));
    QVERIFY(etcd.url.startsWith(QLatin1String("https://")));
    const auto call = [](HttpEtcdWire &wire, const QString &path, const QJsonObject &body) {
        std::optional<Result<QByteArray>> answer;
        wire.call(path, body, [&](Result<QByteArray> r) { answer = std::move(r); });
        (void)QTest::qWaitFor([&] { return answer.has_value(); }, 10'000);
        return answer.value_or(
            Result<QByteArray>(Error{QStringLiteral("test"), QStringLiteral("no answer")}));
    };
    const QJsonObject range{{QStringLiteral("key"), EtcdCodec::base64("/rebound/policies")}};
    const QString range_ = QStringLiteral("/v3/kv/range");

    EtcdAccess untrusted(QUrl(etcd.url));
    untrusted.ca = QSslCertificate::fromPath(tls + QStringLiteral("other-ca.pem"));
    HttpEtcdWire refused(untrusted);
    const auto bad = call(refused, range_, range);
    QVERIFY(!bad);
    QVERIFY2(bad.error().message.contains(QLatin1String("certificate")),
             qPrintable(bad.error().message));
    qInfo("untrusted etcd: %s", qPrintable(bad.error().message));

    EtcdAccess trusted(QUrl(etcd.url));
    trusted.ca = QSslCertificate::fromPath(etcd.certFile);
    HttpEtcdWire admin(trusted);
    QVERIFY(call(admin, range_, range));
    const QByteArray password = "Et7-root-password";
    const QString enabled = etcd.enableRootAuth(password);
    QVERIFY2(enabled.isEmpty(), qPrintable(enabled));
    QVERIFY(!call(admin, range_, range)); // no user: refused now

    EtcdAccess wrong = trusted;
    wrong.user = QStringLiteral("root");
    wrong.password = "Wr0ng-etcd-password";
    HttpEtcdWire wrongWire(wrong);
    const auto denied = call(wrongWire, range_, range);
    QVERIFY(!denied);
    QVERIFY2(denied.error().message.contains(QLatin1String("authentication failed")),
             qPrintable(denied.error().message));
    QVERIFY(!denied.error().message.contains(QLatin1String("Wr0ng")));
    qInfo("wrong password: %s", qPrintable(denied.error().message));

    EtcdAccess right = trusted;
    right.user = QStringLiteral("root");
    right.password = password;
    HttpEtcdWire rightWire(right);
    QVERIFY(call(rightWire, range_, range));
    QVERIFY(call(rightWire, range_, range));
    QCOMPARE(rightWire.authentications(), 1);
    QTest::qWait(3500); // past the token's 2 s: etcd forgets it; one new exchange, no error
    QVERIFY(call(rightWire, range_, range));
    QCOMPARE(rightWire.authentications(), 2);

    // The CLI and a watch member, the password from the environment, the CA from a file.
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("REBOUND_ETCD_PASSWORD"), QString::fromUtf8(password));
    env.insert(QStringLiteral("REBOUND_TOKEN"), QStringLiteral("unused"));
    const QStringList access{QStringLiteral("--etcd"),      etcd.url,
                             QStringLiteral("--etcd-ca"),   etcd.certFile,
                             QStringLiteral("--etcd-user"), QStringLiteral("root")};
    const QString file = m_dir.filePath(QStringLiteral("tls-publish.json"));
    {
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(kGood);
    }
    const ProcessRun published = runProcess(
        QStringLiteral(REBOUNDCTL_PATH),
        QStringList{QStringLiteral("policy"), QStringLiteral("publish"), file} + access, env);
    QVERIFY2(published.code == 0, qPrintable(published.err));
    QProcess watch;
    watch.setProcessEnvironment(env);
    watch.start(QStringLiteral(REBOUNDCTL_PATH),
                QStringList{QStringLiteral("watch"), QStringLiteral("--url"),
                            QStringLiteral("http://127.0.0.1:9"), QStringLiteral("--member"),
                            QStringLiteral("w-tls"), QStringLiteral("--duration"),
                            QStringLiteral("4"), QStringLiteral("--db"),
                            m_dir.filePath(QStringLiteral("w-tls.sqlite"))} +
                    access);
    QVERIFY(watch.waitForStarted());
    const auto status = [&] {
        return runProcess(QStringLiteral(REBOUNDCTL_PATH),
                          QStringList{QStringLiteral("fleet"), QStringLiteral("status")} + access,
                          env)
            .out;
    };
    QTRY_VERIFY2_WITH_TIMEOUT(status().contains(QLatin1String("applied")), qPrintable(status()),
                              10'000);
    QFile cmdline(QStringLiteral("/proc/%1/cmdline").arg(watch.processId()));
    QVERIFY(cmdline.open(QIODevice::ReadOnly));
    QVERIFY(!cmdline.readAll().contains(password));
    QVERIFY(watch.waitForFinished(15'000));
    QCOMPARE(watch.exitCode(), 0);
    // The password is in no log and no file the member wrote (its history database).
    const QByteArray log = watch.readAllStandardOutput() + watch.readAllStandardError();
    QVERIFY(log.contains("\"event\":\"watch_started\""));
    QVERIFY(!log.contains(password));
    QDirIterator files(m_dir.path(), QDir::Files, QDirIterator::Subdirectories);
    while (files.hasNext()) {
        QFile f(files.next());
        QVERIFY(f.open(QIODevice::ReadOnly));
        QVERIFY2(!f.readAll().contains(password), qPrintable(f.fileName()));
    }
    // Without the password the CLI says so before talking to etcd.
    const ProcessRun noPassword =
        runProcess(QStringLiteral(REBOUNDCTL_PATH),
                   QStringList{QStringLiteral("fleet"), QStringLiteral("status")} + access,
                   QProcessEnvironment::systemEnvironment());
    QCOMPARE(noPassword.code, 2);
    QVERIFY2(noPassword.err.contains(QLatin1String("--etcd-user root: no password")),
             qPrintable(noPassword.err));
}

QTEST_GUILESS_MAIN(TestFleet)
#include "tst_fleet.moc"
