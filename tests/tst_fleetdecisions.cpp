// Every console in a fleet shows the owner's decision: three members — two in this process,
// each with the console's task table over its engine (offscreen), and one `reboundctl watch`
// member as a process (to be SIGKILLed) — on real etcd, Redis and taskd. For every task a
// member decides, the other shows the same state, cause and time, and its table the same
// words in the State and Next attempt columns; after the process member dies its shards move
// and its tasks show their new owner's decision.
#include "EtcdProcess.h"
#include "OrchestratorFixture.h"
#include "RedisProcess.h"
#include "TaskTableModel.h"
#include "TaskdProcess.h"
#include "WatchMember.h"
#include "fleet/DecisionBoard.h"
#include "fleet/EtcdCodec.h"
#include "fleet/FleetMember.h"
#include "fleet/HttpEtcdWire.h"
#include "fleet/ShardOwner.h"

#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>

using namespace rebound;

namespace {

constexpr int kShards = 16;
// Long enough backoffs that decisions stand for seconds; the breaker stays out of the way.
const QByteArray kPolicy =
    R"({"version":1,"policies":[{"name":"p","backoff":{"initialDelayMs":1500,"maxDelayMs":6000,)"
    R"("maxAttempts":4,"multiplier":2,"jitter":"none"}}]})";

struct InProcess
{
    InProcess(const QString &id, const QString &taskdUrl, const QString &etcdUrl, int redisPort,
              const QString &dir)
        : engine(taskdUrl, kPolicy, dir, id)
    {
        FleetMember::Config c;
        c.etcd = EtcdAccess(QUrl(etcdUrl));
        c.session = FleetSession::Config{id, Duration(3000), Duration(1000)};
        c.shards = kShards;
        c.redis = FleetMember::Redis{QStringLiteral("127.0.0.1"), redisPort, {}};
        member = std::make_unique<FleetMember>(c, *engine.orchestrator, engine.policies,
                                               engine.clock, engine.timers, engine.rng);
        table = std::make_unique<TaskTableModel>(*engine.orchestrator, engine.clock);
    }
    /// What the console's table says of a task in `column`, times masked (they are compared
    /// to the millisecond above; a 1 ms difference can change a displayed second).
    QString says(const QString &key, int column) const
    {
        static const QRegularExpression digits(QStringLiteral("[0-9]+"));
        const int row = table->rowOf(key);
        if (row < 0)
            return QStringLiteral("<no row>");
        return table->index(row, column).data().toString().replace(digits, QStringLiteral("#"));
    }
    void start()
    {
        member->start();
        engine.start();
    }
    OrchestratorFixture engine;
    std::unique_ptr<FleetMember> member;
    std::unique_ptr<TaskTableModel> table;
};

/// What a console shows of a task: state, cause and the time of what follows (ms on the wall
/// clock; both engines share this process's clocks).
struct Shown
{
    TaskState state;
    int deferReason;
    int stopReason;
    std::int64_t until;
};

Shown shown(const InProcess &m, const TrackedTask &t)
{
    const TaskCondition &c = t.condition;
    return {
        c.state, c.deferReason ? int(*c.deferReason) : -1, c.stopReason ? int(*c.stopReason) : -1,
        c.until ? toMs(*c.until - m.engine.clock.steadyNow()) + m.engine.clock.wallNowMs() : -1};
}

bool decided(TaskState s)
{
    return s == TaskState::RetryScheduled || s == TaskState::Deferred;
}

} // namespace

class TestFleetDecisions final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void everyMemberShowsTheOwnersDecision();
};

void TestFleetDecisions::everyMemberShowsTheOwnersDecision()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    EtcdProcess etcd;
    QVERIFY2(etcd.start(), qPrintable(etcd.error));
    RedisProcess redis;
    QVERIFY2(redis.start(), qPrintable(redis.error));
    TaskdProcess taskd;
    QVERIFY2(taskd.start(0, R"({"default":{"unavailable":0.5,"retryAfterProbability":0,)"
                            R"("latencyMinMs":20,"latencyMaxMs":80}})"),
             qPrintable(taskd.error));
    {
        HttpEtcdWire wire{QUrl(etcd.url)};
        std::optional<Result<QByteArray>> answer;
        wire.call(QStringLiteral("/v3/kv/put"),
                  {{QStringLiteral("key"), EtcdCodec::base64("/rebound/policies")},
                   {QStringLiteral("value"), EtcdCodec::base64(kPolicy)}},
                  [&](Result<QByteArray> r) { answer = std::move(r); });
        QTRY_VERIFY_WITH_TIMEOUT(answer.has_value(), 10'000);
        QVERIFY(*answer);
    }

    InProcess a(QStringLiteral("mem-a"), taskd.url, etcd.url, redis.port, dir.path());
    InProcess b(QStringLiteral("mem-b"), taskd.url, etcd.url, redis.port, dir.path());
    WatchMember watch{taskd.url,
                      etcd.url,
                      3,
                      kShards,
                      dir.path(),
                      dir.filePath(QStringLiteral("%1.log")),
                      QStringLiteral("redis://127.0.0.1:%1").arg(redis.port)};
    auto c = watch.start(QStringLiteral("mem-c"));
    auto killC = qScopeGuard([&] {
        if (c)
            c->kill();
    });
    // How long a decision took to reach the other in-process member.
    QList<std::int64_t> lags;
    for (InProcess *m : {&a, &b}) {
        QObject::connect(m->member->decisions(), &DecisionBoard::received, m->member->decisions(),
                         [&lags, m](const QList<SharedDecision> &ds) {
                             const std::int64_t now = m->engine.clock.wallNowMs();
                             for (const SharedDecision &d : ds)
                                 lags << now - d.decidedWallMs;
                         });
    }
    a.start();
    b.start();
    QTRY_VERIFY_WITH_TIMEOUT(a.member->owner().members().size() == 3 &&
                                 b.member->owner().members().size() == 3 &&
                                 a.member->owner().owners().size() == kShards,
                             20'000);

    QStringList ids;
    for (int i = 0; i < 60; ++i)
        ids << taskd.createTask(QStringLiteral("fleet.job"));
    QVERIFY(!ids.contains(QString()));
    const QString ep = a.engine.endpoint.key();

    // Each in-process member shows, for every task the other one decides, the same thing; for
    // the process member's tasks both show the same (its decision, read from Redis).
    int compared = 0, fromC = 0;
    QString differs; ///< the last difference in words, for a failure message
    const auto agree = [&] {
        compared = 0;
        fromC = 0;
        for (const QString &id : std::as_const(ids)) {
            const TrackedTask *ta = a.engine.orchestrator->task(ep, id);
            const TrackedTask *tb = b.engine.orchestrator->task(ep, id);
            if (!ta || !tb || ta->remote.attempt != tb->remote.attempt ||
                ta->remote.state != tb->remote.state)
                return false; // the two polls have not seen the same yet
            const Shown x = shown(a, *ta);
            const Shown y = shown(b, *tb);
            if (!decided(x.state) && !decided(y.state))
                continue;
            if (x.state != y.state || x.deferReason != y.deferReason ||
                x.stopReason != y.stopReason || std::abs(x.until - y.until) > 5)
                return false;
            // The console's words: the same in both tables, whoever decided.
            for (int column : {int(TaskTableModel::State), int(TaskTableModel::NextRetry)}) {
                if (a.says(ta->key, column) != b.says(tb->key, column)) {
                    differs = QStringLiteral("%1: \"%2\" / \"%3\"")
                                  .arg(id, a.says(ta->key, column), b.says(tb->key, column));
                    return false;
                }
            }
            ++compared;
            fromC += ta->foreign && ta->foreign->member == QLatin1String("mem-c") ? 1 : 0;
        }
        return true;
    };
    // Sampled while the work runs, at most a second apart (a's table changes with every batch and
    // its countdown tick): each sample must come to
    // agree within a poll and a read.
    int samples = 0, withC = 0;
    QElapsedTimer running;
    running.start();
    QSignalSpy moved(a.table.get(), &QAbstractItemModel::dataChanged);
    while (running.elapsed() < 8000) {
        QTRY_VERIFY2_WITH_TIMEOUT(agree(), qPrintable(differs), 5000);
        samples += compared > 0 ? 1 : 0;
        withC += fromC > 0 ? 1 : 0;
        moved.clear();
        (void)moved.wait(1000); // the next change: a batch, or the 1 s countdown tick
    }
    QVERIFY(samples > 0);
    QVERIFY(withC > 0);                        // the process member's decisions were shown too
    QCOMPARE(a.table->rowCount(), ids.size()); // the words compared were the tables' rows
    QCOMPARE(b.table->rowCount(), ids.size());

    // SIGKILL the process member: its lease ends, its shards move, and its tasks show their
    // new owner's decision (never its own, once a new owner decided).
    c->kill();
    c->waitForFinished(5000);
    c.reset();
    QTRY_VERIFY_WITH_TIMEOUT(
        a.member->owner().members().size() == 2 && a.member->owner().owners().size() == kShards &&
            !a.member->owner().owners().values().contains(QStringLiteral("mem-c")),
        20'000);
    const auto noneFromC = [&] {
        for (const QString &id : std::as_const(ids)) {
            for (const InProcess *m : {&a, &b}) {
                const TrackedTask *t = m->engine.orchestrator->task(ep, id);
                if (t && t->foreign && t->foreign->member == QLatin1String("mem-c") &&
                    t->foreign->attempt == t->remote.attempt)
                    return false;
            }
        }
        return true;
    };
    QTRY_VERIFY2_WITH_TIMEOUT(noneFromC() && agree(), qPrintable(differs), 10'000);

    std::sort(lags.begin(), lags.end());
    QVERIFY(!lags.isEmpty());
    qInfo("fleet decisions: %lld shown by the other member, lag median %lld ms, p99 %lld ms, "
          "max %lld ms",
          qlonglong(lags.size()), qlonglong(lags.at(lags.size() / 2)),
          qlonglong(lags.at(std::min<qsizetype>(lags.size() - 1, lags.size() * 99 / 100))),
          qlonglong(lags.last()));
}

QTEST_MAIN(TestFleetDecisions)
#include "tst_fleetdecisions.moc"
