// The fleet's shared retry budget, end to end: a real etcd and Redis, rebound-taskd with tasks
// of 300 types that always fail (so every type always has more retries due than its budget
// allows), and three `reboundctl watch` members. The policy gives every type ratePerSecond R:
// the fleet should start 300 x R retries a second in all. Measured on the service
// (each type's automatic attempts in a window after a warm-up), in three
// phases: each member with its own budget (the baseline: about 3x), the budget shared through
// Redis, and Redis stopped (each member takes 1/3).
//
//   bench_sharedbudget [--types N] [--tasks-per-type K] [--rate R] [--window S] [--logs DIR]
#include "../EtcdProcess.h"
#include "../RedisProcess.h"
#include "../ShardOwners.h"
#include "../TaskdProcess.h"
#include "../WatchMember.h"
#include "fleet/EtcdCodec.h"
#include "fleet/HttpEtcdWire.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>

#include <algorithm>
#include <cstdio>
#include <map>

using namespace rebound;

namespace {

void waitMs(int ms)
{
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < ms)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    int types = 300;
    int perType = 10;
    double rate = 0.1;
    int window = 120;
    QString logs; // --logs DIR: keep each member's log there
    const QStringList args = app.arguments();
    for (int i = 1; i + 1 < args.size(); i += 2) {
        if (args[i] == QLatin1String("--types"))
            types = std::clamp(args[i + 1].toInt(), 1, 10'000);
        else if (args[i] == QLatin1String("--tasks-per-type"))
            perType = std::clamp(args[i + 1].toInt(), 1, 1000);
        else if (args[i] == QLatin1String("--rate"))
            rate = std::clamp(args[i + 1].toDouble(), 0.01, 1000.0);
        else if (args[i] == QLatin1String("--window"))
            window = std::clamp(args[i + 1].toInt(), 5, 600);
        else if (args[i] == QLatin1String("--logs"))
            logs = args[i + 1];
    }
    QTemporaryDir dir;
    EtcdProcess etcd;
    RedisProcess redis;
    TaskdProcess taskd;
    if (!etcd.start() || !redis.start() ||
        !taskd.start(0, R"({"default":{"unavailable":1.0,"retryAfterProbability":0,)"
                        R"("latencyMinMs":1,"latencyMaxMs":3}})")) {
        std::fprintf(stderr, "bench_sharedbudget: %s%s%s\n", qPrintable(etcd.error),
                     qPrintable(redis.error), qPrintable(taskd.error));
        return 1;
    }
    HttpEtcdWire wire{QUrl(etcd.url)};
    {
        // Retries 200 ms apart, never stopped, no guard but the budget: ratePerSecond R with a
        // burst of 2 per type.
        const QByteArray policy =
            QByteArrayLiteral(
                R"({"version":1,"policies":[{"name":"p","backoff":{"initialDelayMs":200,)"
                R"("maxDelayMs":200,"maxAttempts":1000000,"multiplier":1,"jitter":"none"},)"
                R"("breaker":{"windowSize":100000,"minimumNumberOfCalls":100000},)"
                R"("health":{"unhealthyScore":100},)"
                R"("budget":{"budgetPercent":0,"maxTokens":0,"burst":2,"ratePerSecond":)") +
            QByteArray::number(rate) + "}}]}";
        bool done = false;
        wire.call(QStringLiteral("/v3/kv/put"),
                  {{QStringLiteral("key"), EtcdCodec::base64("/rebound/policies")},
                   {QStringLiteral("value"), EtcdCodec::base64(policy)}},
                  [&](Result<QByteArray>) { done = true; });
        while (!done)
            QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
    }
    std::vector<std::pair<QString, QString>> tasks; // id, type
    for (int k = 0; k < perType; ++k)
        for (int t = 0; t < types; ++t) {
            const QString type = QStringLiteral("type%1").arg(t, 3, 10, QLatin1Char('0'));
            tasks.emplace_back(taskd.createTask(type), type);
        }

    const QStringList ids{QStringLiteral("m0"), QStringLiteral("m1"), QStringLiteral("m2")};
    const double configured = types * rate;
    std::map<QString, std::unique_ptr<QProcess>> members;
    const auto phase = [&](const char *name, const QString &redisUrl, const auto &during) {
        WatchMember watch{taskd.url,  etcd.url,
                          10,         64,
                          dir.path(), logs.isEmpty() ? QString() : logs + QStringLiteral("/%1.log"),
                          redisUrl};
        for (const QString &id : ids)
            members[id] = watch.start(id);
        QElapsedTimer t;
        t.start();
        while (int(shardOwners(wire).size()) < 64 && t.elapsed() < 30'000)
            waitMs(100);
        waitMs(10'000); // past the bursts, into the steady rate
        during();
        // Every type's retries start in lockstep (all types begin together, when the members
        // do), so a count between two instants would be off by up to one period per type. Each
        // type's rate is taken from its own retries instead: (n - 1) / (last - first) over the
        // automatic attempts the service started in the window, summed over the types.
        const qint64 from = QDateTime::currentMSecsSinceEpoch();
        waitMs(window * 1000);
        const qint64 to = QDateTime::currentMSecsSinceEpoch();
        std::map<QString, std::vector<qint64>> starts; // type -> automatic attempt starts
        for (const auto &[id, type] : tasks) {
            for (const QJsonValue &v : taskd.attempts(id)) {
                const QJsonObject a = v.toObject();
                if (a.value(QStringLiteral("reason")).toString() != QLatin1String("auto"))
                    continue;
                const qint64 at =
                    QDateTime::fromString(a.value(QStringLiteral("startedAt")).toString(),
                                          Qt::ISODateWithMs)
                        .toMSecsSinceEpoch();
                if (at >= from && at < to)
                    starts[type].push_back(at);
            }
        }
        double perSecond = 0;
        for (auto &[type, v] : starts) {
            std::sort(v.begin(), v.end());
            if (v.size() >= 2 && v.back() > v.front())
                perSecond += double(v.size() - 1) * 1000.0 / double(v.back() - v.front());
        }
        for (auto &[id, p] : members) {
            p->terminate(); // a clean leave: the next phase's members take the shards at once
            p->waitForFinished(10'000);
        }
        members.clear();
        std::printf("| %s | %.1f | %.1f | %.2fx | %+.1f %% |\n", name, configured, perSecond,
                    perSecond / configured, (perSecond / configured - 1) * 100);
        std::fflush(stdout);
    };
    std::printf("3 members, %d types x %d tasks always failing, ratePerSecond %.2f per type "
                "(burst 2), a %d s window after 10 s of warm-up in each phase\n",
                types, perType, rate, window);
    std::printf("| budget | configured retries/s | measured retries/s | measured / configured | "
                "off by |\n|---|---:|---:|---:|---:|\n");
    const QString redisUrl = QStringLiteral("redis://127.0.0.1:%1").arg(redis.port);
    phase("each member its own (baseline)", QString(), [] {});
    phase("shared through Redis", redisUrl, [] {});
    phase("Redis stopped: 1/3 each", redisUrl, [&] {
        redis.stop();
        waitMs(3000);
    });
    return 0;
}
