// Benchmark of the fleet's config centre against a real etcd (issue 13): publish -> applied by
// every member, against the publish's own round trip measured in the same run.
//   bench_fleet [--members N] [--publishes N]
// etcd runs on loopback ports with its data on tmpfs; the members are in this process, each
// with its own connection, policy store and lease (as separate processes would have).
#include "../EtcdProcess.h"
#include "../InProcessMember.h"
#include "fleet/EtcdCodec.h"
#include "fleet/HttpEtcdWire.h"
#include "fleet/PolicyFeed.h"
#include "policy/PolicyStore.h"
#include "time/QtTimerSource.h"
#include "time/SeededRandom.h"
#include "time/SystemClock.h"

#include <QCoreApplication>
#include <QElapsedTimer>

#include <algorithm>
#include <cstdio>
#include <map>

using namespace rebound;

namespace {

double percentile(std::vector<double> v, double p)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(p * double(v.size())))];
}

void waitUntil(const std::function<bool()> &done, int ms)
{
    QElapsedTimer t;
    t.start();
    while (!done() && t.elapsed() < ms)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
}

struct Member : InProcessMember
{
    Member(const QString &url, int i, SystemClock &clock, QtTimerSource &timers, SeededRandom &rng)
        : InProcessMember(url, QStringLiteral("bench-%1").arg(i), clock, timers, rng,
                      Duration(10'000), Duration(1000))
    {}
};

QByteArray document(int n, bool valid)
{
    return QStringLiteral(
               R"({"version":1,"policies":[{"name":"p","backoff":{"maxAttempts":%1,"multiplier":%2}}]})")
        .arg(2 + n % 7)
        .arg(valid ? 2 : 0.5)
        .toUtf8();
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    int members = 3;
    int publishes = 200;
    const QStringList args = app.arguments();
    for (int i = 1; i + 1 < args.size(); i += 2) {
        if (args[i] == QLatin1String("--members"))
            members = std::clamp(args[i + 1].toInt(), 1, 50);
        else if (args[i] == QLatin1String("--publishes"))
            publishes = std::clamp(args[i + 1].toInt(), 10, 100'000);
    }
    EtcdProcess etcd;
    if (!etcd.start()) {
        std::fprintf(stderr, "bench_fleet: %s\n", qPrintable(etcd.error));
        return 1;
    }
    SystemClock clock;
    QtTimerSource timers(clock);
    SeededRandom rng(1);
    std::vector<std::unique_ptr<Member>> fleet;
    for (int i = 0; i < members; ++i)
        fleet.push_back(std::make_unique<Member>(etcd.url, i, clock, timers, rng));
    waitUntil(
        [&] {
            return std::all_of(fleet.begin(), fleet.end(), [](const auto &m) {
                return m->live();
            });
        },
        10'000);

    // revision -> how many members have looked at it, and when the last one did
    std::map<std::int64_t, int> seen;
    QElapsedTimer clockMs;
    clockMs.start();
    std::map<std::int64_t, double> lastSeenAt;
    for (auto &m : fleet)
        QObject::connect(&m->feed, &PolicyFeed::versionSeen, &app,
                         [&](std::int64_t rev, bool, const QString &) {
                             ++seen[rev];
                             lastSeenAt[rev] = double(clockMs.nsecsElapsed()) / 1e6;
                         });
    HttpEtcdWire publisher{QUrl(etcd.url)};
    std::vector<double> roundTrip, applied, refused;
    int refusedEverywhere = 0, kept = 0;
    for (int n = 0; n < publishes; ++n) {
        const bool valid = n % 10 != 9; // every tenth publish is invalid
        const double sentAt = double(clockMs.nsecsElapsed()) / 1e6;
        std::int64_t rev = 0;
        double answeredAt = 0;
        publisher.call(QStringLiteral("/v3/kv/put"),
                       {{QStringLiteral("key"), EtcdCodec::base64("/rebound/policies")},
                        {QStringLiteral("value"), EtcdCodec::base64(document(n, valid))}},
                       [&](Result<QByteArray> r) {
                           answeredAt = double(clockMs.nsecsElapsed()) / 1e6;
                           auto o = r ? EtcdCodec::object(*r, QStringLiteral("put"))
                                      : Result<QJsonObject>(r.error());
                           auto h = o ? EtcdCodec::headerRevision(*o, QStringLiteral("put"))
                                      : Result<std::int64_t>(o.error());
                           rev = h ? *h : -1;
                       });
        waitUntil([&] { return rev != 0; }, 5000);
        if (rev <= 0) {
            std::fprintf(stderr, "bench_fleet: publish %d failed\n", n);
            return 1;
        }
        waitUntil([&] { return seen[rev] >= members; }, 5000);
        if (seen[rev] < members) {
            std::fprintf(stderr, "bench_fleet: revision %lld seen by %d of %d members\n",
                         static_cast<long long>(rev), seen[rev], members);
            return 1;
        }
        roundTrip.push_back(answeredAt - sentAt);
        (valid ? applied : refused).push_back(lastSeenAt[rev] - sentAt);
        if (!valid) {
            const bool all = std::all_of(fleet.begin(), fleet.end(), [&](const auto &m) {
                return m->store.history().last().number < rev;
            });
            refusedEverywhere += all ? 1 : 0;
        } else {
            kept +=
                std::all_of(fleet.begin(), fleet.end(),
                            [&](const auto &m) { return m->store.history().last().number == rev; })
                    ? 1
                    : 0;
        }
    }
    std::printf("# bench_fleet: %d members, %d publishes (every tenth invalid), etcd %s\n", members,
                publishes, qPrintable(etcd.url));
    std::printf("| measure | p50 ms | p99 ms | max ms |\n|---|---|---|---|\n");
    auto row = [](const char *name, const std::vector<double> &v) {
        std::printf("| %s | %.1f | %.1f | %.1f |\n", name, percentile(v, 0.5), percentile(v, 0.99),
                    v.empty() ? 0.0 : *std::max_element(v.begin(), v.end()));
    };
    row("publish round trip (baseline)", roundTrip);
    row("publish -> applied by all members", applied);
    row("invalid publish -> refused by all members", refused);
    std::printf("applied by all: %d of %zu valid; refused by all, last good kept: %d of %zu "
                "invalid\n",
                kept, applied.size(), refusedEverywhere, refused.size());
    std::printf("ratio p99 applied-by-all / p99 round trip: %.1fx\n",
                percentile(applied, 0.99) / percentile(roundTrip, 0.99));
    return 0;
}
