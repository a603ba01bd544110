// Decision to every console in a fleet: one owner engine decides N failed tasks, seen in pages
// of 500 as a poll answers (then decides them again for their next attempt), three console engines read its decisions through a real
// Redis (DecisionBoard). Measured per delivered decision: the time from the owner's decision to
// its arrival in a console (the same process, one clock). The run proves the work: every
// console must end holding every decision, in the owner's states and times.
//
//   bench_decisions [--tasks N] [--consoles C]
#include "../RedisProcess.h"
#include "engine/Engine.h"
#include "fleet/DecisionBoard.h"
#include "fleet/HiredisWire.h"
#include "time/QtTimerSource.h"
#include "time/SeededRandom.h"
#include "time/SystemClock.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QSet>
#include <QTemporaryDir>

#include <algorithm>
#include <cstdio>

using namespace rebound;

namespace {

const QString kEndpoint = QStringLiteral("http://bench");
// The next attempt a minute away: nothing starts while the decisions travel. Every attempt
// fails, so the breaker and the health score are kept out of it (each decision is a retry).
const QByteArray kPolicy =
    R"({"version":1,"policies":[{"name":"p","backoff":{"initialDelayMs":60000,)"
    R"("maxDelayMs":600000,"maxAttempts":10,"multiplier":2,"jitter":"none"},)"
    R"("breaker":{"windowSize":100000,"minimumNumberOfCalls":100000},)"
    R"("health":{"minimumCalls":100000}}]})";

RemoteTask failed(int i, int attempt)
{
    RemoteTask t;
    char id[24];
    std::snprintf(id, sizeof id, "task-%07d", i);
    t.id = QString::fromLatin1(id);
    t.type = QStringLiteral("type-%1").arg(i % 20);
    t.state = RemoteState::Failed;
    t.attempt = attempt;
    t.version = attempt;
    t.createdAtMs = 1'767'225'600'000;
    t.updatedAtMs = t.createdAtMs + attempt * 20;
    RemoteAttempt a;
    a.number = attempt;
    a.reason = attempt == 1 ? AttemptReason::Initial : AttemptReason::Auto;
    a.startedAtMs = t.updatedAtMs - 10;
    a.endedAtMs = t.updatedAtMs;
    a.durationMs = 10;
    a.outcome = AttemptOutcome::Failed;
    a.httpStatus = 503;
    t.lastAttempt = a;
    return t;
}

struct Node
{
    Node(const QString &name, bool owner, const QString &dir, int redisPort, const Clock &clock,
         TimerSource &timers, RandomSource &rng)
        : wire(QStringLiteral("127.0.0.1"), redisPort)
    {
        auto e = Engine::open({dir + u'/' + name + QStringLiteral("-policies.json"), kPolicy,
                               dir + u'/' + name + QStringLiteral(".sqlite"), 0},
                              clock, timers, rng);
        if (!e)
            qFatal("bench engine: %s", qPrintable(e.error().message));
        engine = std::move(e).value();
        Orchestrator::Ownership o;
        o.fenceOf = [owner](const QString &, const QString &) {
            return owner ? std::optional<Fence>(Fence{1, 1}) : std::nullopt;
        };
        o.ownerOf = [](const QString &, const QString &) { return QStringLiteral("owner"); };
        o.member = name;
        engine->orchestrator->setOwnership(o);
        DecisionBoard::Config c;
        c.keyPrefix = "bench";
        c.member = name;
        board = std::make_unique<DecisionBoard>(wire, *engine->orchestrator, clock, timers, c);
    }
    HiredisWire wire;
    std::unique_ptr<Engine> engine;
    std::unique_ptr<DecisionBoard> board;
};

double percentile(std::vector<std::int64_t> &v, double p)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    return double(v[std::min(v.size() - 1, std::size_t(p * double(v.size())))]);
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    int tasks = 10000, consoles = 3;
    const QStringList args = app.arguments();
    for (qsizetype i = 1; i + 1 < args.size(); ++i) {
        if (args[i] == QLatin1String("--tasks"))
            tasks = args[i + 1].toInt();
        else if (args[i] == QLatin1String("--consoles"))
            consoles = args[i + 1].toInt();
    }
    RedisProcess redis;
    if (!redis.start())
        qFatal("%s", qPrintable(redis.error));
    QTemporaryDir dir;
    SystemClock clock;
    QtTimerSource timers(clock);
    SeededRandom rng(7);

    Node owner(QStringLiteral("owner"), true, dir.path(), redis.port, clock, timers, rng);
    std::vector<std::unique_ptr<Node>> readers;
    std::vector<std::int64_t> lags;
    // Per console, the tasks whose decision for the round's attempt arrived.
    std::vector<QSet<QString>> arrived(static_cast<std::size_t>(consoles));
    for (int c = 0; c < consoles; ++c) {
        readers.push_back(std::make_unique<Node>(QStringLiteral("console-%1").arg(c), false,
                                                 dir.path(), redis.port, clock, timers, rng));
        QObject::connect(readers.back()->board.get(), &DecisionBoard::received, &app,
                         [&lags, &clock, &arrived, c](const QList<SharedDecision> &ds) {
                             const std::int64_t now = clock.wallNowMs();
                             for (const SharedDecision &d : ds) {
                                 lags.push_back(now - d.decidedWallMs);
                                 arrived[std::size_t(c)].insert(d.taskId);
                             }
                         });
    }
    for (auto &r : readers)
        r->board->start();
    owner.board->start();
    // Measured from connected boards: a write while connecting is written again (correct, but
    // counted twice here).
    QElapsedTimer connecting;
    connecting.start();
    while (connecting.elapsed() < 10'000 &&
           !(owner.wire.isUp() && std::all_of(readers.begin(), readers.end(),
                                              [](const auto &r) { return r->wire.isUp(); })))
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);

    std::printf("| round | tasks | consoles | published | delivered | p50 ms | p99 ms | max ms | "
                "all equal |\n|---|---:|---:|---:|---:|---:|---:|---:|---|\n");
    for (int attempt = 1; attempt <= 2; ++attempt) {
        QList<RemoteTask> batch;
        for (int i = 0; i < tasks; ++i)
            batch << failed(i, attempt);
        lags.clear();
        for (auto &a : arrived)
            a.clear();
        const qint64 publishedBefore = owner.board->publishedChanges();
        for (auto &r : readers)
            r->engine->orchestrator->ingest(kEndpoint, batch);
        // The owner sees them as a poll does: pages of 500, each answered on its own turn.
        for (qsizetype p = 0; p < batch.size(); p += EndpointPoller::kPageSize) {
            owner.engine->orchestrator->ingest(kEndpoint, batch.mid(p, EndpointPoller::kPageSize));
            QCoreApplication::processEvents();
        }
        // Every console holds every decision of this attempt, as the owner shows it.
        const auto equal = [&] {
            for (int i = 0; i < tasks; i += 1) {
                const QString id = batch[i].id;
                const TrackedTask *o = owner.engine->orchestrator->task(kEndpoint, id);
                if (!o || o->condition.state != TaskState::RetryScheduled)
                    return false;
                for (auto &r : readers) {
                    const TrackedTask *t = r->engine->orchestrator->task(kEndpoint, id);
                    if (!t || !t->foreign || t->foreign->attempt != attempt ||
                        t->condition.state != o->condition.state ||
                        !t->condition.until || !o->condition.until ||
                        std::abs(toMs(*t->condition.until - *o->condition.until)) > 2)
                        return false;
                }
            }
            return true;
        };
        QElapsedTimer waited;
        waited.start();
        bool ok = false;
        while (waited.elapsed() < 60'000) {
            QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
            const bool all = std::all_of(arrived.begin(), arrived.end(), [tasks](const auto &a) {
                return a.size() >= qsizetype(tasks);
            });
            if (all && (ok = equal()))
                break;
        }
        const std::size_t delivered = lags.size();
        std::printf("| %s | %d | %d | %lld | %zu | %.0f | %.0f | %.0f | %s |\n",
                    attempt == 1 ? "first decisions" : "decided again", tasks, consoles,
                    qlonglong(owner.board->publishedChanges() - publishedBefore), delivered, percentile(lags, 0.5), percentile(lags, 0.99),
                    percentile(lags, 1.0), ok ? "yes" : "NO");
        if (!ok)
            return 1;
    }
    return 0;
}
