// rebound-taskd's backend seam: the Task API's routes and actions run attempts on whatever
// TaskBackend the server is given (the simulator is one). Unit tests on a manual clock: a
// backend the test drives by hand, the store and the action handler, no sockets, no sleeps.
#include "ActionHandler.h"
#include "TaskBackend.h"
#include "TaskServer.h"
#include "TaskStore.h"
#include "TaskdMetrics.h"
#include "time/ManualClock.h"

#include <QTest>

using namespace rebound;
using namespace rebound::taskd;

namespace {

/// Records what the API hands it; the test ends attempts through the store, as a queue would.
struct ManualBackend final : TaskBackend
{
    struct Run
    {
        QString id;
        int attempt = 0;
        std::int64_t deadlineMs = 0;
    };
    void run(const TaskRecord &task, std::int64_t deadlineMs) override
    {
        runs.push_back({task.task.id, task.task.attempt, deadlineMs});
    }
    void stop(const QString &taskId) override { stopped << taskId; }

    std::vector<Run> runs;
    QStringList stopped;
};

/// Ends the task's running attempt as the backend saw it end.
void finish(TaskStore &store, const QString &id, AttemptOutcome outcome, int httpStatus,
            const ManualClock &clock)
{
    TaskRecord &r = *store.find(id);
    RemoteAttempt &a = r.attempts.last();
    a.endedAtMs = clock.wallNowMs();
    a.durationMs = *a.endedAtMs - a.startedAtMs;
    a.outcome = outcome;
    a.httpStatus = httpStatus;
    r.task.state =
        outcome == AttemptOutcome::Succeeded ? RemoteState::Succeeded : RemoteState::Failed;
    r.task.lastAttempt = a;
    store.touch(r);
}

ActionHandler::Request request(std::int64_t version, const QByteArray &key, const QByteArray &body)
{
    return {key, '"' + QByteArray::number(qint64(version)) + '"', {}, body};
}

} // namespace

class TestTaskBackend final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void serverRunsAttemptsOnTheGivenBackend();
    void actionsReachTheBackendOnce();
};

void TestTaskBackend::serverRunsAttemptsOnTheGivenBackend()
{
    ManualClock clock;
    ManualBackend *backend = nullptr;
    TaskStore *store = nullptr;
    ServerOptions options;
    options.noAuth = true;
    options.backend = [&](TaskStore &s) {
        auto b = std::make_unique<ManualBackend>();
        backend = b.get();
        store = &s;
        return b;
    };
    TaskServer server(options, clock, clock);
    QVERIFY(backend && store);
    const QString id = server.createTask(QStringLiteral("pdf.render"));
    QCOMPARE(backend->runs.size(), std::size_t(1));
    QCOMPARE(backend->runs[0].id, id);
    QCOMPARE(backend->runs[0].attempt, 1);
    QCOMPARE(backend->runs[0].deadlineMs, std::int64_t(0));
    QCOMPARE(server.task(id)->state, RemoteState::Running);
    // Nothing ends on its own: no simulator runs behind the backend.
    clock.advance(Duration(3'600'000));
    QCOMPARE(server.task(id)->state, RemoteState::Running);
    finish(*store, id, AttemptOutcome::Succeeded, 200, clock);
    QCOMPARE(server.task(id)->state, RemoteState::Succeeded);
    QCOMPARE(server.task(id)->version, std::int64_t(3)); // created, started, ended
    QCOMPARE(server.attempts(id).size(), 1);
}

void TestTaskBackend::actionsReachTheBackendOnce()
{
    ManualClock clock;
    TaskStore store(clock, {});
    ManualBackend backend;
    TaskdMetrics metrics;
    ActionHandler actions(
        store, backend,
        [&](TaskRecord &r, AttemptReason reason, std::int64_t deadlineMs) {
            store.beginAttempt(r, reason, QStringLiteral("trace"));
            backend.run(r, deadlineMs);
        },
        metrics, clock);
    TaskRecord &created = store.create(QStringLiteral("t:1"), QStringLiteral("sms.send"), {}, {});
    store.beginAttempt(created, AttemptReason::Initial, QStringLiteral("trace"));
    const QString id = created.task.id;
    finish(store, id, AttemptOutcome::Failed, 503, clock);

    // A retry with a deadline reaches the backend with it, once: the replay answers from the
    // idempotency entry, and a stale version is refused before anything runs.
    QString idem;
    const QByteArray body = R"({"reason":"auto","deadlineMs":1500})";
    const HttpAnswer started = actions.act(request(store.find(id)->task.version, "k1", body), id,
                                           ActionHandler::Action::StartAttempt, 0, idem);
    QCOMPARE(started.status, 202);
    QCOMPARE(backend.runs.size(), std::size_t(1));
    QCOMPARE(backend.runs[0].attempt, 2);
    QCOMPARE(backend.runs[0].deadlineMs, std::int64_t(1500));
    actions.answered(idem);
    QString again;
    const HttpAnswer replay =
        actions.act(request(3, "k1", body), id, ActionHandler::Action::StartAttempt, 0, again);
    QCOMPARE(replay.status, 202);
    QCOMPARE(replay.body, started.body);
    QCOMPARE(backend.runs.size(), std::size_t(1));
    QString stale;
    QCOMPARE(actions.act(request(1, "k2", body), id, ActionHandler::Action::StartAttempt, 0, stale)
                 .status,
             412);
    QCOMPARE(backend.runs.size(), std::size_t(1));

    // An abort stops the backend's work on the attempt and ends it as a timeout.
    QString aborted;
    const HttpAnswer abort =
        actions.act(request(store.find(id)->task.version, "k3", R"({"reason":"timeout"})"), id,
                    ActionHandler::Action::AbortAttempt, 2, aborted);
    QCOMPARE(abort.status, 200);
    QCOMPARE(backend.stopped, QStringList{id});
    QCOMPARE(store.find(id)->attempts.last().outcome, AttemptOutcome::Timeout);
    QCOMPARE(store.find(id)->task.state, RemoteState::Failed);
}

QTEST_GUILESS_MAIN(TestTaskBackend)
#include "tst_taskbackend.moc"
