// Failover of fleet work ownership, end to end: a real etcd, rebound-taskd with tasks that
// always fail (so every shard always has retries due), and three `reboundctl watch` members.
// Each round SIGKILLs one member and measures, from the kill, (1) until every shard it held is
// claimed by another member, (2) until the first automatic retry of a task in those shards has
// started on the service and (3) until every task in them has had one. The baseline is the lease
// TTL the members run with (a killed member's claims cannot move before its lease expires): figures
// are given against it.
//
//   bench_failover [--kills N] [--lease-ttl S] [--tasks N] [--logs DIR]
#include "../EtcdProcess.h"
#include "../ShardOwners.h"
#include "../TaskdProcess.h"
#include "../WatchMember.h"
#include "fleet/EtcdCodec.h"
#include "fleet/HttpEtcdWire.h"
#include "fleet/ShardOwner.h"
#include "remote/EndpointConfig.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QProcess>
#include <QSet>
#include <QTemporaryDir>

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>

using namespace rebound;

namespace {

constexpr int kShards = 64;

void waitMs(int ms)
{
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < ms)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
}

double percentile(std::vector<double> v, double p)
{
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(p * double(v.size())))];
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    int kills = 20;
    int leaseTtl = 3;
    int taskCount = 60;
    QString logs; // --logs DIR: keep each member's log there
    const QStringList args = app.arguments();
    for (int i = 1; i + 1 < args.size(); i += 2) {
        if (args[i] == QLatin1String("--kills"))
            kills = std::clamp(args[i + 1].toInt(), 1, 1000);
        else if (args[i] == QLatin1String("--lease-ttl"))
            leaseTtl = std::clamp(args[i + 1].toInt(), 2, 60);
        else if (args[i] == QLatin1String("--tasks"))
            taskCount = std::clamp(args[i + 1].toInt(), 10, 10'000);
        else if (args[i] == QLatin1String("--logs"))
            logs = args[i + 1];
    }
    QTemporaryDir dir;
    EtcdProcess etcd;
    if (!etcd.start()) {
        std::fprintf(stderr, "bench_failover: %s\n", qPrintable(etcd.error));
        return 1;
    }
    // Every attempt fails fast: each task always has a retry due within 1 s (60 tasks: about
    // 60 retries a second across the fleet).
    TaskdProcess taskd;
    if (!taskd.start(0, R"({"default":{"unavailable":1.0,"retryAfterProbability":0,)"
                        R"("latencyMinMs":2,"latencyMaxMs":5}})")) {
        std::fprintf(stderr, "bench_failover: %s\n", qPrintable(taskd.error));
        return 1;
    }
    HttpEtcdWire wire{QUrl(etcd.url)};
    {
        const QByteArray policy =
            R"({"version":1,"policies":[{"name":"p","backoff":{"initialDelayMs":1000,)"
            R"("maxDelayMs":1000,"maxAttempts":100000,"multiplier":1,"jitter":"none"},)"
            R"("breaker":{"windowSize":100000,"minimumNumberOfCalls":100000},)"
            R"("health":{"unhealthyScore":100},)"
            R"("budget":{"budgetPercent":0,"maxTokens":0,"ratePerSecond":0}}]})";
        bool done = false;
        wire.call(QStringLiteral("/v3/kv/put"),
                  {{QStringLiteral("key"), EtcdCodec::base64("/rebound/policies")},
                   {QStringLiteral("value"), EtcdCodec::base64(policy)}},
                  [&](Result<QByteArray>) { done = true; });
        while (!done)
            QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
    }
    EndpointConfig endpoint;
    endpoint.baseUrl = QUrl(taskd.url);
    QHash<QString, int> shardOfTask;
    for (int i = 0; i < taskCount; ++i) {
        const QString id = taskd.createTask(QStringLiteral("f.work"));
        shardOfTask.insert(id, ShardOwner::shardOf(endpoint.key(), id, kShards));
    }

    std::map<QString, std::unique_ptr<QProcess>> members;
    const WatchMember watch{
        taskd.url, etcd.url,   leaseTtl,
        kShards,   dir.path(), logs.isEmpty() ? QString() : logs + QStringLiteral("/%1.log"),
        {}};
    const auto startMember = [&](const QString &id) { members[id] = watch.start(id); };
    const QStringList ids{QStringLiteral("m0"), QStringLiteral("m1"), QStringLiteral("m2")};
    for (const QString &id : ids)
        startMember(id);
    const auto settled = [&] {
        const auto o = shardOwners(wire);
        if (int(o.size()) != kShards)
            return false;
        QStringList live(ids);
        for (const auto &[s, owner] : o)
            if (owner != ShardOwner::ownerOf(s, live))
                return false;
        return true;
    };

    std::vector<double> claimedMs, firstMs, retriedMs;
    for (int round = 0; round < kills; ++round) {
        QElapsedTimer wait;
        wait.start();
        while (!settled() && wait.elapsed() < 30'000)
            waitMs(50);
        if (!settled()) {
            std::fprintf(stderr, "bench_failover: round %d: the fleet did not settle\n", round);
            return 1;
        }
        waitMs(500);
        const QString victim = ids[round % ids.size()];
        QSet<int> moving;
        for (const auto &[s, owner] : shardOwners(wire))
            if (owner == victim)
                moving.insert(s);
        const std::int64_t killedAtWall = QDateTime::currentMSecsSinceEpoch();
        QElapsedTimer since;
        since.start();
        members[victim]->kill(); // SIGKILL: no lease revoke, no goodbye
        members[victim]->waitForFinished(5000);
        double claimed = -1, retried = -1, firstRetried = -1;
        QHash<QString, std::int64_t> firstRetry;
        while ((claimed < 0 || retried < 0) && since.elapsed() < 30'000) {
            if (claimed < 0) {
                const auto o = shardOwners(wire);
                if (std::all_of(moving.begin(), moving.end(), [&](int s) {
                        const auto it = o.find(s);
                        return it != o.end() && it->second != victim;
                    }))
                    claimed = double(since.nsecsElapsed()) / 1e6;
            }
            if (retried < 0) {
                // Each task of a moved shard: its first automatic attempt after the kill (tasks
                // are retried once a second, polled every 20 ms: the first one seen is the first).
                const QJsonArray tasks = taskd.get(QStringLiteral("/v1/tasks?limit=1000"))
                                             .json()
                                             .value(QStringLiteral("tasks"))
                                             .toArray();
                int waiting = 0;
                for (const QJsonValue &v : tasks) {
                    const QJsonObject t = v.toObject();
                    const QString id = t.value(QStringLiteral("id")).toString();
                    if (!moving.contains(shardOfTask.value(id, -1)))
                        continue;
                    const QJsonObject a = t.value(QStringLiteral("lastAttempt")).toObject();
                    const std::int64_t at =
                        QDateTime::fromString(a.value(QStringLiteral("startedAt")).toString(),
                                              Qt::ISODateWithMs)
                            .toMSecsSinceEpoch();
                    if (a.value(QStringLiteral("reason")).toString() == QLatin1String("auto") &&
                        at > killedAtWall && !firstRetry.contains(id))
                        firstRetry.insert(id, at);
                    waiting += firstRetry.contains(id) ? 0 : 1;
                }
                if (waiting == 0 && !firstRetry.isEmpty()) {
                    const auto [lo, hi] =
                        std::minmax_element(firstRetry.cbegin(), firstRetry.cend());
                    retried = double(*hi - killedAtWall);
                    firstRetried = double(*lo - killedAtWall);
                }
            }
            waitMs(20);
        }
        if (claimed < 0 || retried < 0) {
            std::fprintf(stderr, "bench_failover: round %d: %s's shards did not move\n", round,
                         qPrintable(victim));
            return 1;
        }
        claimedMs.push_back(claimed);
        firstMs.push_back(firstRetried);
        retriedMs.push_back(retried);
        std::printf("kill %2d: %s held %2lld shards (%2lld tasks); all claimed by others after "
                    "%5.0f ms; first retry there after %5.0f ms, every task retried after %5.0f "
                    "ms\n",
                    round + 1, qPrintable(victim), static_cast<long long>(moving.size()),
                    static_cast<long long>(firstRetry.size()), claimed, firstRetried, retried);
        std::fflush(stdout);
        startMember(victim); // back, with a new lease: it takes its shards again
    }
    for (auto &[id, p] : members) {
        p->kill();
        p->waitForFinished(5000);
    }
    const double ttl = leaseTtl * 1000.0;
    std::printf("\n%d kills, lease TTL %d s, %d shards, %d tasks always failing\n", kills, leaseTtl,
                kShards, taskCount);
    std::printf("| from SIGKILL to | median ms | max ms | median / TTL | max / TTL | max - TTL |\n"
                "|---|---:|---:|---:|---:|---:|\n");
    for (const auto &[name, v] :
         {std::pair<const char *, std::vector<double> &>{"all its shards claimed", claimedMs},
          {"first retry started there", firstMs},
          {"every task there retried", retriedMs}})
        std::printf("| %s | %.0f | %.0f | %.2f | %.2f | %+.0f ms |\n", name, percentile(v, 0.5),
                    percentile(v, 1.0), percentile(v, 0.5) / ttl, percentile(v, 1.0) / ttl,
                    percentile(v, 1.0) - ttl);
    return 0;
}
