// The chaos suite's fleet variant: a real etcd and Redis, rebound-taskd failing 70 % of all
// attempts, three `reboundctl watch` members and the console (offscreen; a fourth watch member
// in a build without the UI) sharing its tasks by shard and their retry budget through Redis. Each
// row injects one fault while tasks are in flight, then waits until every task has ended. Each must
// show: 0 lost (every task succeeded or was stopped by policy), 0 doubled (each task's attempts
// numbered 1..n, n within maxAttempts, and the service answered no automatic action 412 — what a
// second decider of the same failure would get — and refused no stale fence), and history ==
// server: every member still running (the paused one too, once it caught up) holds each task's
// attempts as the service does — same numbers, reasons and outcomes.
#include "EtcdProcess.h"
#include "RedisProcess.h"
#include "ShardOwners.h"
#include "TaskdProcess.h"
#include "WatchMember.h"
#include "fleet/EtcdCodec.h"
#include "fleet/HttpEtcdWire.h"
#include "fleet/ShardOwner.h"
#include "history/HistoryStore.h"
#include "remote/EndpointConfig.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QScopeGuard>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <csignal>
#include <map>
#include <sys/types.h>

using namespace rebound;

namespace {

constexpr int kShards = 16;
// Short enough to keep the suite quick, long enough that a member starved of CPU beside other
// suites does not lose its lease.
constexpr int kLeaseTtl = 3;
constexpr int kMaxAttempts = 6;

const QByteArray kPolicy =
    R"({"version":1,"policies":[{"name":"p","backoff":{"initialDelayMs":500,"maxDelayMs":2000,)"
    R"("maxAttempts":6,"multiplier":2,"jitter":"equal"},)"
    R"("breaker":{"windowSize":1000,"minimumNumberOfCalls":1000},)"
    R"("health":{"unhealthyScore":100},)"
    R"("budget":{"budgetPercent":0,"maxTokens":0,"ratePerSecond":50,"burst":20}}]})";
const QByteArray kInvalid =
    R"({"version":1,"policies":[{"name":"p","backoff":{"multiplier":0.5}}]})";

Result<QByteArray> call(HttpEtcdWire &wire, const QString &path, const QJsonObject &body)
{
    std::optional<Result<QByteArray>> answer;
    wire.call(path, body, [&](Result<QByteArray> r) { answer = std::move(r); });
    (void)QTest::qWaitFor([&] { return answer.has_value(); }, 10'000);
    return answer.value_or(
        Result<QByteArray>(Error{QStringLiteral("test"), QStringLiteral("no answer")}));
}

QString runStatus(const QString &etcdUrl)
{
    QProcess p;
    p.start(QStringLiteral(REBOUNDCTL_PATH),
            {QStringLiteral("fleet"), QStringLiteral("status"), QStringLiteral("--etcd"), etcdUrl});
    p.waitForFinished(10'000);
    return QString::fromUtf8(p.readAllStandardOutput());
}

/// The fourth member: the console itself (offscreen) where the build has it, else a fourth
/// headless member under the same name.
std::unique_ptr<QProcess> startConsole(const WatchMember &watch)
{
#ifdef REBOUND_PATH
    auto p = std::make_unique<QProcess>();
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("REBOUND_TOKEN"), QStringLiteral("test-token-123"));
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    p->setProcessEnvironment(env);
    p->setStandardOutputFile(watch.logFile.arg(QStringLiteral("console")));
    p->setStandardErrorFile(watch.logFile.arg(QStringLiteral("console")), QIODevice::Append);
    p->start(QStringLiteral(REBOUND_PATH),
             {QStringLiteral("--url"), watch.taskdUrl, QStringLiteral("--etcd"), watch.etcdUrl,
              QStringLiteral("--redis"), watch.redis, QStringLiteral("--member"),
              QStringLiteral("console"), QStringLiteral("--lease-ttl"),
              QString::number(watch.leaseTtl), QStringLiteral("--shards"),
              QString::number(watch.shards), QStringLiteral("--db"),
              watch.dbDir + QStringLiteral("/console.sqlite")});
    p->waitForStarted(5000);
    return p;
#else
    return watch.start(QStringLiteral("console"));
#endif
}

} // namespace

class TestFleetChaos final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void faults_data();
    void faults();
};

void TestFleetChaos::faults_data()
{
    QTest::addColumn<QString>("fault");
    QTest::newRow("owner SIGSTOPped for 2x TTL") << QStringLiteral("sigstop");
    QTest::newRow("member SIGKILLed") << QStringLiteral("sigkill");
    QTest::newRow("etcd restarted") << QStringLiteral("etcd-restart");
    QTest::newRow("etcd compacted during the watch") << QStringLiteral("compact");
    QTest::newRow("invalid policy published") << QStringLiteral("invalid");
    QTest::newRow("Redis stopped for 10 s") << QStringLiteral("redis-stop");
}

void TestFleetChaos::faults()
{
    QFETCH(QString, fault);
    QTemporaryDir dir;
    EtcdProcess etcd;
    QVERIFY2(etcd.start(), qPrintable(etcd.error));
    RedisProcess redis;
    QVERIFY2(redis.start(), qPrintable(redis.error));
    TaskdProcess taskd;
    QVERIFY(taskd.start(0, R"({"default":{"unavailable":0.7,"retryAfterProbability":0,)"
                           R"("latencyMinMs":50,"latencyMaxMs":200}})"));
    HttpEtcdWire wire{QUrl(etcd.url)};
    const auto put = [&](const QByteArray &key, const QByteArray &value) {
        return call(wire, QStringLiteral("/v3/kv/put"),
                    {{QStringLiteral("key"), EtcdCodec::base64(key)},
                     {QStringLiteral("value"), EtcdCodec::base64(value)}});
    };
    QVERIFY(put("/rebound/policies", kPolicy));
    const QString redisUrl = QStringLiteral("redis://127.0.0.1:%1").arg(redis.port);
    WatchMember watch{taskd.url, etcd.url,   kLeaseTtl,
                      kShards,   dir.path(), dir.filePath(QStringLiteral("%1.log")),
                      redisUrl};
    std::map<QString, std::unique_ptr<QProcess>> members;
    const auto stopMembers = qScopeGuard([&members] {
        for (auto &[id, p] : members) {
            p->terminate(); // a clean leave
            p->waitForFinished(10'000);
        }
    });
    for (const char *id : {"m0", "m1", "m2"})
        members[QString::fromLatin1(id)] = watch.start(QString::fromLatin1(id));
    members[QStringLiteral("console")] = startConsole(watch);
    const auto owners = [&] { return shardOwners(wire); };
    if (!QTest::qWaitFor([&] { return int(owners().size()) == kShards; },
                         60'000)) { // say why: the members' last words
        for (const auto &[id, p] : members) {
            QFile log(dir.filePath(id + QStringLiteral(".log")));
            if (log.open(QIODevice::ReadOnly))
                qWarning("%s (%s): %s", qPrintable(id),
                         p->state() == QProcess::Running ? "running" : "ended",
                         log.readAll().right(1500).constData());
        }
        QFAIL("the fleet did not claim every shard");
    }

    QStringList ids;
    const auto create = [&](int n) {
        for (int i = 0; i < n; ++i)
            ids << taskd.createTask(QStringLiteral("chaos.fleet"));
    };
    // Tasks live for seconds (70 % of attempts fail, retries 0.25 to 2 s apart): the fault
    // meets many of them between attempts.
    create(40);
    QVERIFY(QTest::qWaitFor([&] { return taskd.runningCount() < 40; }, 10'000)); // first failures

    EndpointConfig endpoint;
    endpoint.baseUrl = QUrl(taskd.url);
    if (fault == QLatin1String("sigstop") || fault == QLatin1String("sigkill")) {
        // The headless member that owns the most of the tasks.
        std::map<QString, int> load;
        const auto o = owners();
        for (const QString &id : ids) {
            const auto it = o.find(ShardOwner::shardOf(endpoint.key(), id, kShards));
            if (it != o.end() && it->second != QLatin1String("console"))
                ++load[it->second];
        }
        QString victim = QStringLiteral("m0");
        for (const auto &[m, n] : load)
            if (n > load[victim])
                victim = m;
        const auto pid = pid_t(members[victim]->processId());
        if (fault == QLatin1String("sigstop")) {
            ::kill(pid, SIGSTOP);
            // Stopped until its lease has run out and the others hold its shards.
            const bool moved = QTest::qWaitFor(
                [&] {
                    const auto now = owners();
                    return int(now.size()) == kShards &&
                           std::none_of(now.begin(), now.end(),
                                        [&](const auto &o) { return o.second == victim; });
                },
                30'000);
            ::kill(pid, SIGCONT);
            QVERIFY2(moved, qPrintable(victim));
        } else {
            members[victim]->kill();
            members[victim]->waitForFinished(5000);
        }
    } else if (fault == QLatin1String("etcd-restart")) {
        QVERIFY2(etcd.restart(), qPrintable(etcd.error));
    } else if (fault == QLatin1String("compact")) {
        const auto r = put("/rebound/policies", kPolicy); // a new version to compact up to
        QVERIFY(r);
        const QJsonObject header =
            QJsonDocument::fromJson(*r).object().value(QStringLiteral("header")).toObject();
        QVERIFY(call(wire, QStringLiteral("/v3/kv/compaction"),
                     {{QStringLiteral("revision"), header.value(QStringLiteral("revision"))}}));
        QVERIFY(put("/rebound/policies", kPolicy)); // and one past it, through the watch
    } else if (fault == QLatin1String("invalid")) {
        QVERIFY(put("/rebound/policies", kInvalid));
    } else if (fault == QLatin1String("redis-stop")) {
        // Every member says where its budget is, in etcd: `fleet status` shows it.
        const auto budgets = [&](const QString &what) {
            const QString out = runStatus(etcd.url);
            return int(
                out.split(u'\n').filter(QStringLiteral("  ") + what + QLatin1Char(' ')).size());
        };
        QTRY_COMPARE_WITH_TIMEOUT(budgets(QStringLiteral("redis")), 4, 30'000);
        QElapsedTimer stopped;
        stopped.start();
        redis.stop();
        QTRY_COMPARE_WITH_TIMEOUT(budgets(QStringLiteral("local 1/4")), 4, 5'000);
        qInfo("fleet status with Redis stopped:\n%s", qPrintable(runStatus(etcd.url)));
        QTest::qWait(int(std::max<qint64>(0, 10'000 - stopped.elapsed())));
        QVERIFY2(redis.start(), qPrintable(redis.error)); // the same port
        QTRY_COMPARE_WITH_TIMEOUT(budgets(QStringLiteral("redis")), 4, 10'000);
    }
    create(20);

    // Every task ends: succeeded, or stopped by policy (cancelled with its attempts used up).
    const auto open = [&] {
        QStringList left;
        const QJsonArray tasks = taskd.get(QStringLiteral("/v1/tasks?limit=1000"))
                                     .json()
                                     .value(QStringLiteral("tasks"))
                                     .toArray();
        for (const QJsonValue &v : tasks) {
            const QString state = v.toObject().value(QStringLiteral("state")).toString();
            if (state != QLatin1String("succeeded") && state != QLatin1String("cancelled"))
                left << v.toObject().value(QStringLiteral("id")).toString();
        }
        return left;
    };
    (void)QTest::qWaitFor([&] { return open().isEmpty(); }, 120'000);
    QVERIFY2(open().isEmpty(), qPrintable(open().join(u' ')));

    // 0 doubled: attempts numbered 1..n, within the policy; no second decider reached taskd.
    int attempts = 0;
    for (const QString &id : ids) {
        const QJsonArray a = taskd.attempts(id);
        QVERIFY2(a.size() >= 1 && a.size() <= kMaxAttempts, qPrintable(id));
        for (int i = 0; i < a.size(); ++i)
            QCOMPARE(a[i].toObject().value(QStringLiteral("number")).toInt(), i + 1);
        attempts += int(a.size());
    }
    const double refusedFences = taskd.metric("rebound_taskd_stale_fence_refusals_total");
    const double preconditionFailed =
        taskd.metricSum("rebound_taskd_conflict_answers_total{status=\"412\"}");
    // A fence announcement overtaken by a newer owner's is refused too, but acted on nothing:
    // shown, not counted as a second decider.
    qInfo("%s: %lld tasks, %d attempts, %.0f stale fences refused, %.0f answered 412, %.0f late "
          "fence announcements",
          qPrintable(fault), static_cast<long long>(ids.size()), attempts, refusedFences,
          preconditionFailed, taskd.metric("rebound_taskd_stale_fence_announcements_total"));
    QCOMPARE(refusedFences, 0.0);
    QCOMPARE(preconditionFailed, 0.0);

    // History == server, for every member still running (a SIGKILLed one stops where it died).
    std::map<QString, QJsonArray> server;
    for (const QString &id : std::as_const(ids))
        server[id] = taskd.attempts(id);
    std::map<QString, std::unique_ptr<HistoryStore>> histories;
    for (const auto &[member, p] : members) {
        if (p->state() != QProcess::Running)
            continue;
        auto h = HistoryStore::open(dir.filePath(member + QStringLiteral(".sqlite")));
        QVERIFY2(h, qPrintable(h ? QString() : h.error().message));
        histories[member] = std::move(h).value();
    }
    QVERIFY(histories.size() >= 3);
    const auto differences = [&](const HistoryStore &history) {
        QStringList out;
        for (const auto &[id, attemptsThere] : server) {
            const auto rows = history.attempts(endpoint.key(), id);
            QStringList here, there;
            for (const auto &r : rows)
                here << QStringLiteral("%1 %2 %3").arg(r.attempt).arg(r.reason, r.outcome);
            for (const QJsonValue &v : attemptsThere) {
                const QJsonObject a = v.toObject();
                there << QStringLiteral("%1 %2 %3")
                             .arg(a.value(QStringLiteral("number")).toInt())
                             .arg(a.value(QStringLiteral("reason")).toString(),
                                  a.value(QStringLiteral("outcome")).toString());
            }
            if (here != there)
                out << QStringLiteral("%1: history [%2], server [%3]")
                           .arg(id, here.join(QStringLiteral(", ")),
                                there.join(QStringLiteral(", ")));
        }
        return out;
    };
    for (const auto &[member, history] : histories)
        QTRY_VERIFY2_WITH_TIMEOUT(
            differences(*history).isEmpty(),
            qPrintable(member + QStringLiteral(": ") + differences(*history).mid(0, 3).join(u'\n')),
            30'000);
    qInfo("%s: history == server on %lld members", qPrintable(fault),
          static_cast<long long>(histories.size()));
}

QTEST_GUILESS_MAIN(TestFleetChaos)
#include "tst_fleetchaos.moc"
