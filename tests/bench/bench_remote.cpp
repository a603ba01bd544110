// Benchmarks for the remote side (issue 3), each against a baseline measured in the same run:
//  1. watching 10 000 tasks with 1 % changing per second: delta + ETag vs re-listing everything
//  2. history inserts, batched in WAL mode, vs plain prepared INSERTs into a bare table
//  3. CSV export of 1 000 000 rows vs the sqlite3 shell's -csv export of the same rows
//  4. 100 000 scheduled retries: one TimerQueue vs one QTimer per task (CPU and memory)
//  5. push over /v1/watch vs delta polling vs re-listing, 10 000 tasks, 1 % changing per
//     second: change-to-model latency and bytes on the wire per changed task
#include "TaskServer.h"
#include "engine/Engine.h"
#include "history/HistoryStore.h"
#include "remote/EndpointClient.h"
#include "remote/EndpointPoller.h"
#include "remote/TaskApi.h"
#include "remote/TaskJson.h"
#include "time/QtTimerSource.h"
#include "time/SeededRandom.h"
#include "time/SystemClock.h"
#include "time/TimerQueue.h"

#include <QCoreApplication>
#include "history/CsvExport.h"
#include "history/SqliteDb.h"

#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTimer>

#include <QJsonDocument>

#include <algorithm>
#include <cstdio>
#include <malloc.h>
#include <sys/resource.h>

using namespace rebound;

namespace {

void spin(int ms)
{
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < ms)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 10);
}

double cpuSeconds()
{
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// Heap in use (glibc), in KB: RSS would hide allocations that reuse memory freed earlier.
long rssKb()
{
    return static_cast<long>(mallinfo2().uordblks / 1024);
}

// An in-process service on a loopback port with 10 000 tasks whose initial attempts have
// finished: the peer of the watching benchmarks.
struct BenchService
{
    BenchService() : timers(clock), server(options(), clock, timers)
    {
        auto *tcp = new QTcpServer(&server);
        tcp->listen(QHostAddress::LocalHost, 0);
        server.bind(tcp);
        port = tcp->serverPort();
        for (int i = 0; i < 10'000; ++i)
            server.createTask(QStringLiteral("bench.type"));
        spin(500);
        ids = server.taskIds();
    }
    static taskd::ServerOptions options()
    {
        taskd::ServerOptions opts;
        opts.noAuth = true;
        opts.profile = taskd::FailureProfile::alwaysSucceed();
        return opts;
    }
    QUrl url() const { return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(port)); }

    SystemClock clock;
    QtTimerSource timers;
    taskd::TaskServer server;
    quint16 port = 0;
    QStringList ids;
};

void deltaVersusRelist(int seconds)
{
    BenchService svc;
    SystemClock &clock = svc.clock;
    QtTimerSource &timers = svc.timers;
    taskd::TaskServer &server = svc.server;
    const QStringList &ids = svc.ids;
    SeededRandom rng(1);
    QTimer changer;
    QObject::connect(&changer, &QTimer::timeout, [&] {
        for (int i = 0; i < 10; ++i) // 10 every 100 ms = 100 per second = 1 % of 10 000
            server.touchTask(ids[static_cast<qsizetype>(rng.nextUnit() * ids.size())]);
    });
    EndpointConfig cfg;
    cfg.baseUrl = svc.url();
    cfg.ratePerSecond = 0;
    cfg.push = false; // this row is about polling; pushVersusPolling() has push

    // Delta + ETag: the real poller, after its snapshot.
    EndpointClient deltaClient(cfg, clock, rng);
    EndpointPoller poller(deltaClient, clock, timers, rng);
    bool snapshotDone = false;
    QObject::connect(
        &poller, &EndpointPoller::tasksChanged,
        [&](const QList<RemoteTask> &, bool snap) { snapshotDone = snapshotDone || snap; });
    poller.start();
    while (!snapshotDone)
        spin(10);
    const auto r0 = poller.requests();
    const auto b0 = poller.bytesReceived();
    changer.start(100);
    spin(seconds * 1000);
    const double deltaReq = double(poller.requests() - r0) * 60 / seconds;
    const double deltaBytes = double(poller.bytesReceived() - b0) * 60 / seconds;
    poller.stop();

    // Baseline: list everything once a second (paged), as a naive client would.
    EndpointClient listClient(cfg, clock, rng);
    std::int64_t reqs = 0, bytes = 0;
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < seconds * 1000) {
        QElapsedTimer round;
        round.start();
        QString cursor;
        bool more = true, first = true;
        while (more) {
            bool done = false;
            listClient.send(TaskApi::listTasks(first ? QString() : cursor, 500, {}),
                            [&](const ApiResponse &r) {
                                ++reqs;
                                bytes += r.body.size();
                                auto page = TaskJson::decodePage(r.body);
                                more = page && page->more;
                                if (page)
                                    cursor = page->cursor;
                                done = true;
                            });
            first = false;
            while (!done)
                spin(1);
        }
        if (round.elapsed() < 1000)
            spin(1000 - int(round.elapsed()));
    }
    changer.stop();
    const double listReq = double(reqs) * 60 / seconds;
    const double listBytes = double(bytes) * 60 / seconds;
    std::printf("| watch 10 000 tasks, 1 %%/s changing: requests per minute | %.0f | %.0f (re-list "
                "every 1 s) | %.1fx fewer |\n",
                deltaReq, listReq, listReq / deltaReq);
    std::printf(
        "| watch 10 000 tasks, 1 %%/s changing: bytes per minute | %.0f | %.0f | %.1fx fewer |\n",
        deltaBytes, listBytes, listBytes / deltaBytes);
}

void historyInserts(const QString &dir, int n)
{
    auto h = std::move(HistoryStore::open(dir + QStringLiteral("/bench-history.sqlite"))).value();
    QElapsedTimer t;
    t.start();
    for (int batch = 0; batch < n / 1000; ++batch) {
        for (int i = 0; i < 1000; ++i) {
            AttemptFacts f;
            f.endpoint = QStringLiteral("http://127.0.0.1:8080");
            f.taskId = QStringLiteral("task-%1").arg(batch * 1000 + i);
            f.taskType = QStringLiteral("bench.type");
            f.attempt.number = 1;
            f.attempt.startedAtMs = 1'767'225'600'000 + batch * 1000 + i;
            f.attempt.endedAtMs = f.attempt.startedAtMs + 120;
            f.attempt.durationMs = 120;
            f.attempt.outcome = AttemptOutcome::Failed;
            f.attempt.httpStatus = 503;
            f.attempt.traceId = QStringLiteral("0af7651916cd43dd8448eb211c80319c");
            h->queueAttempt(f);
        }
        (void)h->flush(); // one transaction per "sync cycle" of 1000 attempts
    }
    const double ours = n / (t.nsecsElapsed() / 1e9);

    // Baseline: the same rows as plain prepared INSERTs into a bare table through SQLite's C
    // API, same batching: what the history adds is its schema, its upsert and its queue.
    auto db = std::move(SqliteDb::open(dir + QStringLiteral("/bench-baseline.sqlite"), 1000)).value();
    (void)db->exec(QStringLiteral("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                                  "CREATE TABLE t (endpoint TEXT, task_id TEXT, task_type TEXT,"
                                  " attempt INTEGER, reason TEXT, started_at INTEGER, ended_at"
                                  " INTEGER, duration_ms INTEGER, outcome TEXT, http_status"
                                  " INTEGER, trace_id TEXT)"),
                   QString());
    auto q = std::move(db->prepare(QStringLiteral("INSERT INTO t VALUES (?,?,?,?,?,?,?,?,?,?,?)"),
                                   QString()))
                 .value();
    const QString endpoint = QStringLiteral("http://127.0.0.1:8080");
    const QString type = QStringLiteral("bench.type");
    const QString initial = QStringLiteral("initial");
    const QString failed = QStringLiteral("failed");
    const QString trace = QStringLiteral("0af7651916cd43dd8448eb211c80319c");
    QElapsedTimer b;
    b.start();
    for (int batch = 0; batch < n / 1000; ++batch) {
        (void)db->exec(QStringLiteral("BEGIN"), QString());
        for (int i = 0; i < 1000; ++i) {
            const std::int64_t s = 1'767'225'600'000 + batch * 1000 + i;
            const QString id = QStringLiteral("task-%1").arg(batch * 1000 + i);
            q.bind(1, endpoint);
            q.bind(2, id);
            q.bind(3, type);
            q.bind(4, 1);
            q.bind(5, initial);
            q.bind(6, s);
            q.bind(7, s + 120);
            q.bind(8, 120);
            q.bind(9, failed);
            q.bind(10, 503);
            q.bind(11, trace);
            (void)q.run();
        }
        (void)db->exec(QStringLiteral("COMMIT"), QString());
    }
    const double base = n / (b.nsecsElapsed() / 1e9);
    std::printf("| history inserts (attempts/s, batches of 1000, WAL) | %.0f | %.0f (plain "
                "INSERT, bare table, C API) | %.2fx of baseline |\n",
                ours, base, ours / base);
}

void csvExport(const QString &dir, int n)
{
    const QString path = dir + QStringLiteral("/bench-export.sqlite");
    {
        auto h = std::move(HistoryStore::open(path)).value();
        for (int batch = 0; batch < n / 10'000; ++batch) {
            for (int i = 0; i < 10'000; ++i) {
                AttemptFacts f;
                f.endpoint = QStringLiteral("http://127.0.0.1:8080");
                f.taskId = QStringLiteral("task-%1").arg(batch * 10'000 + i);
                f.taskType = i % 7 ? QStringLiteral("sms.send") : QStringLiteral("=odd,type");
                f.attempt.number = 1 + i % 3;
                f.attempt.startedAtMs = 1'767'225'600'000 + batch * 10'000 + i;
                f.attempt.endedAtMs = f.attempt.startedAtMs + 120;
                f.attempt.durationMs = 120;
                f.attempt.outcome = AttemptOutcome::Failed;
                f.attempt.httpStatus = 503;
                f.attempt.traceId = QStringLiteral("0af7651916cd43dd8448eb211c80319c");
                h->queueAttempt(f);
            }
            (void)h->flush();
        }
        QFile out(dir + QStringLiteral("/ours.csv"));
        out.open(QIODevice::WriteOnly);
        QElapsedTimer t;
        t.start();
        const auto rows = h->exportCsv(out, {});
        const double ours = t.nsecsElapsed() / 1e9;
        out.close();
        // Baselines: the sqlite3 shell writing CSV — first running the export's own SELECT (the
        // same rows, columns, derived delays and `followed_by`, in the same order: the same
        // work), then a plain SELECT of the stored columns (what a shell export of the table
        // costs; the derived columns are Rebound's extra work).
        const auto shell = [&](const QString &select) -> double {
            QProcess p;
            p.setStandardOutputFile(dir + QStringLiteral("/shell.csv"));
            QElapsedTimer s;
            s.start();
            p.start(QStringLiteral("sqlite3"),
                    {QStringLiteral("-csv"), QStringLiteral("-header"), path, select});
            if (!p.waitForStarted(5000))
                return -1;
            p.waitForFinished(-1);
            return s.nsecsElapsed() / 1e9;
        };
        const double same = shell(CsvExport::query(QString()));
        if (same < 0) {
            std::printf("| CSV export of %d rows | %.2f s | (sqlite3 shell not installed) | |\n", n,
                        ours);
            return;
        }
        const double plain = shell(QStringLiteral(
            "SELECT endpoint, task_id, task_type, attempt, reason, started_at, ended_at,"
            " duration_ms, outcome, error_class, http_status, problem_type,"
            " COALESCE(retry_after_ms, server_retry_after_ms), delay_ms, jitter, policy,"
            " policy_version, stop_reason, trace_id FROM attempts"
            " ORDER BY started_at, endpoint, task_id, attempt"));
        std::printf("| CSV export of %lld rows (RFC 4180, formula-safe, RFC 3339 times) | %.2f s | "
                    "%.2f s (sqlite3 -csv, the same SELECT) | %.2fx its time |\n",
                    static_cast<long long>(rows.ok() ? *rows : -1), ours, same, ours / same);
        std::printf("| CSV export of %lld rows, against a plain SELECT of the stored columns | "
                    "%.2f s | %.2f s (sqlite3 -csv, no derived columns) | %.2fx its time |\n",
                    static_cast<long long>(rows.ok() ? *rows : -1), ours, plain, ours / plain);
    }
}

void timerQueueVersusQTimers(int n)
{
    SystemClock clock;
    QtTimerSource timers(clock);
    {
        const long rss0 = rssKb();
        const double cpu0 = cpuSeconds();
        TimerQueue q(clock, timers);
        int fired = 0;
        q.setHandler([&](const QString &) { ++fired; });
        const SteadyTime now = clock.steadyNow();
        for (int i = 0; i < n; ++i)
            q.schedule(QStringLiteral("endpoint\ntask-%1").arg(i), now + Duration(500 + i % 1500));
        const long rss1 = rssKb();
        while (fired < n)
            spin(20);
        const double cpu = cpuSeconds() - cpu0;
        std::printf("| %d scheduled retries: one TimerQueue | %.2f s CPU, +%ld KB heap |", n, cpu,
                    rss1 - rss0);
    }
    {
        const long rss0 = rssKb();
        const double cpu0 = cpuSeconds();
        int fired = 0;
        std::vector<std::unique_ptr<QTimer>> list;
        list.reserve(static_cast<std::size_t>(n));
        for (int i = 0; i < n; ++i) {
            auto t = std::make_unique<QTimer>();
            t->setSingleShot(true);
            QObject::connect(t.get(), &QTimer::timeout, [&fired] { ++fired; });
            t->start(500 + i % 1500);
            list.push_back(std::move(t));
        }
        const long rss1 = rssKb();
        while (fired < n)
            spin(20);
        const double cpu = cpuSeconds() - cpu0;
        std::printf(" %.2f s CPU, +%ld KB heap (one QTimer per task) | |\n", cpu, rss1 - rss0);
    }
}

// 5. Decisions: failed attempts ingested, each decided (classify, policy, guards, backoff,
// schedule, history row, lifecycle event), against the same number of succeeded attempts
// ingested (the same bookkeeping, no decision). No network: the engine's own cost.
void decisions(const QString &dir, int n)
{
    const auto run = [&](const QString &name, bool failed) {
        auto engine = std::move(Engine::open({{}, {}, dir + u'/' + name + QStringLiteral(".sqlite"),
                                              0}))
                          .value();
        Orchestrator &o = *engine->orchestrator;
        const std::int64_t now = engine->clock.wallNowMs();
        QList<RemoteTask> batch;
        QElapsedTimer t;
        qint64 ns = 0;
        for (int start = 0; start < n; start += 1000) {
            batch.clear();
            for (int i = start; i < std::min(n, start + 1000); ++i) {
                RemoteTask task;
                task.id = QStringLiteral("t-%1").arg(i);
                task.type = QStringLiteral("bench.op");
                task.attempt = 1;
                task.version = 2;
                task.createdAtMs = now - 100;
                task.updatedAtMs = now;
                task.state = failed ? RemoteState::Failed : RemoteState::Succeeded;
                RemoteAttempt a;
                a.number = 1;
                a.startedAtMs = now - 100;
                a.endedAtMs = now - 10;
                a.durationMs = 90;
                a.outcome = failed ? AttemptOutcome::Failed : AttemptOutcome::Succeeded;
                if (failed)
                    a.httpStatus = 503;
                task.lastAttempt = a;
                batch << task;
            }
            t.start();
            o.ingest(QStringLiteral("http://bench"), batch);
            ns += t.nsecsElapsed();
            QCoreApplication::processEvents(); // the history transaction of the cycle
        }
        return double(n) / (double(ns) / 1e9);
    };
    const double decided = run(QStringLiteral("decide"), true);
    const double plain = run(QStringLiteral("plain"), false);
    std::printf("| %d failed attempts decided (classify, guards, backoff, schedule, history, "
                "lifecycle): per second | %.0f | %.0f (succeeded attempts, no decision) | %.2fx "
                "the cost |\n",
                n, decided, plain, plain / decided);
}

double percentile(std::vector<double> v, double p)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(p * double(v.size())))];
}

// One service (in this process) with 10 000 tasks, 100 of them touched per second; the same
// poller watches first over push, then by delta polling. Latency: from the touch to the
// poller's tasksChanged naming the task. Bytes: payload received per changed task delivered,
// against the changed tasks' own compact JSON (the limit no transport can beat).
void pushVersusPolling(int seconds)
{
    BenchService svc;
    SystemClock &clock = svc.clock;
    QtTimerSource &timers = svc.timers;
    taskd::TaskServer &server = svc.server;
    const QStringList &ids = svc.ids;
    SeededRandom rng(7);
    QElapsedTimer since;
    since.start();
    QHash<QString, qint64> touchedAt; // first unseen change of each task, in ms
    QTimer changer;
    QObject::connect(&changer, &QTimer::timeout, [&] {
        for (int i = 0; i < 10; ++i) {
            const QString &id = ids[static_cast<qsizetype>(rng.nextUnit() * ids.size())];
            server.touchTask(id);
            if (!touchedAt.contains(id))
                touchedAt.insert(id, since.nsecsElapsed());
        }
    });
    struct Run
    {
        std::vector<double> latencyMs;
        std::int64_t tasks = 0, bytes = 0, jsonBytes = 0;
    };
    const auto watch = [&](bool push) {
        Run run;
        EndpointConfig cfg;
        cfg.baseUrl = svc.url();
        cfg.ratePerSecond = 0;
        cfg.push = push;
        EndpointClient client(cfg, clock, rng);
        EndpointPoller poller(client, clock, timers, rng);
        bool measuring = false, snapshotDone = false;
        QObject::connect(&poller, &EndpointPoller::tasksChanged,
                         [&](const QList<RemoteTask> &tasks, bool snap) {
                             snapshotDone = snapshotDone || snap;
                             if (!measuring)
                                 return;
                             const qint64 now = since.nsecsElapsed();
                             for (const RemoteTask &t : tasks) {
                                 ++run.tasks;
                                 run.jsonBytes +=
                                     QJsonDocument(TaskJson::toJson(t))
                                         .toJson(QJsonDocument::Compact)
                                         .size();
                                 if (const auto it = touchedAt.find(t.id); it != touchedAt.end()) {
                                     run.latencyMs.push_back(double(now - *it) / 1e6);
                                     touchedAt.erase(it);
                                 }
                             }
                         });
        poller.start();
        while (!snapshotDone || (push && !poller.status().push))
            spin(10);
        touchedAt.clear();
        const auto b0 = push ? poller.pushBytesReceived() : poller.bytesReceived();
        measuring = true;
        changer.start(100);
        spin(seconds * 1000);
        changer.stop();
        spin(push ? 100 : 1000); // the last changes arrive
        run.bytes = (push ? poller.pushBytesReceived() : poller.bytesReceived()) - b0;
        if (push && poller.pushFailures() > 0)
            std::fprintf(stderr, "push fell back %d times\n", poller.pushFailures());
        poller.stop();
        touchedAt.clear();
        return run;
    };
    const Run push = watch(true);
    const Run poll = watch(false);
    // Re-listing every second moves the whole store for 100 changes.
    QByteArray all;
    for (const QString &id : ids)
        all += QJsonDocument(TaskJson::toJson(*server.task(id))).toJson(QJsonDocument::Compact);
    const double limit = double(push.jsonBytes) / double(push.tasks);
    const double pushPer = double(push.bytes) / double(push.tasks);
    const double pollPer = double(poll.bytes) / double(poll.tasks);
    const double relistPer = double(all.size()) / 100.0;
    std::printf("| change-to-model latency p50, 10 000 tasks, 1 %%/s changing | push %.1f ms | "
                "delta polling %.1f ms | %.0fx sooner |\n",
                percentile(push.latencyMs, 0.5), percentile(poll.latencyMs, 0.5),
                percentile(poll.latencyMs, 0.5) / percentile(push.latencyMs, 0.5));
    std::printf("| change-to-model latency p99 (%zu / %zu changes) | push %.1f ms | delta polling "
                "%.1f ms | %.0fx sooner |\n",
                push.latencyMs.size(), poll.latencyMs.size(), percentile(push.latencyMs, 0.99),
                percentile(poll.latencyMs, 0.99),
                percentile(poll.latencyMs, 0.99) / percentile(push.latencyMs, 0.99));
    std::printf("| bytes per changed task (limit: its own JSON, %.0f B) | push %.0f B (%.2fx the "
                "limit) | delta polling %.0f B (%.2fx), re-listing every 1 s %.0f B (%.0fx) | "
                "push %.1fx fewer than polling |\n",
                limit, pushPer, pushPer / limit, pollPer, pollPer / limit, relistPer,
                relistPer / limit, pollPer / pushPer);
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QTemporaryDir dir;
    const bool quick = app.arguments().contains(QStringLiteral("--quick"));
    std::printf("| benchmark | Rebound | baseline (same run) | ratio |\n|---|---:|---:|---:|\n");
    deltaVersusRelist(quick ? 5 : 20);
    pushVersusPolling(quick ? 5 : 20);
    historyInserts(dir.path(), quick ? 20'000 : 200'000);
    csvExport(dir.path(), quick ? 100'000 : 1'000'000);
    timerQueueVersusQTimers(100'000);
    decisions(dir.path(), quick ? 20'000 : 100'000);
    return 0;
}
