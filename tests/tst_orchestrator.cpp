// Unit tests of the orchestrator's logic on a manual clock and a fake transport: exact times,
// exact requests, no server, no real time.
#include "FakeTransport.h"
#include "ManualEngine.h"
#include "engine/Orchestrator.h"
#include "guards/RetryPermits.h"
#include "history/HistoryStore.h"
#include "policy/PolicyStore.h"
#include "remote/TaskJson.h"
#include "time/ManualClock.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTest>

using namespace rebound;

namespace {

const QString kEndpoint = QStringLiteral("http://fake.test");

// No jitter, a fixed 1500 ms attempt timeout, guards that never get in the way.
const QByteArray kPolicy =
    R"({"version":1,"policies":[{"name":"p","backoff":{"initialDelayMs":200,"maxDelayMs":1000,)"
    R"("maxAttempts":3,"multiplier":2,"jitter":"none"},"timeout":{"mode":"fixed","fixedMs":1500},)"
    R"("breaker":{"windowSize":1000,"minimumNumberOfCalls":1000},"health":{"unhealthyScore":100},)"
    R"("budget":{"budgetPercent":0,"maxTokens":0,"ratePerSecond":0}}]})";

/// A shared rate limit the test answers by hand.
struct HeldPermits final : RetryPermits
{
    struct Ask
    {
        GuardKey key;
        BudgetConfig budget;
        Answer done;
    };
    void acquire(const GuardKey &key, const BudgetConfig &budget, Answer done) override
    {
        asks.push_back({key, budget, std::move(done)});
    }
    std::vector<Ask> asks;
};

} // namespace

class TestOrchestrator final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void retryIsSentExactlyWhenTheBackoffEnds();
    void hungAttemptIsAbortedAtTimeoutPlusGrace();
    void attemptStartIsBoundedByWhatTheConsoleSaw();
    void refusal412RereadsAndNeverResendsBlindly();
    void refusedBeforeActingIsResentWithJitteredBackoff();
    void deadTaskRetryGetsAFreshAllowance();
    void attemptThatFailedBeforeItsAnswerIsDecided();
    void onlyTheOwnerDecidesAndItsActionsCarryTheFence();
    void claimedShardsAreAnnouncedToEveryEndpoint();
    void sharedPermitIsAskedBeforeEachRetry();
    void resetBreakerWakesWhatItHeld();
    void recheckedDeferralWritesOneTimelineRow();
    void policyChangeWakesWhatItHeld();
    void endedRetryWakesWhatTheBudgetHeld();
    void firstSeenLateFetchesEarlierAttempts();
    void failedReadGoesWhenTheServiceIsBack();
    void snapshotBackfillIsPaced();
    void viewRowsCarryTheScheduleAndAttemptsAnswer();

private:
    /// An orchestrator on the fake transport, watching kEndpoint (a restart when one existed).
    void startEngine();
    RemoteTask task(const QString &id, int attempt, AttemptOutcome outcome,
                    std::int64_t startedAgoMs, std::int64_t version);
    /// Delivers the fake transport's answers.
    void settle()
    {
        for (int i = 0; i < 5; ++i)
            QCoreApplication::processEvents();
    }
    /// Runs what is due now on the manual clock: the engine's change batch among it.
    void flushBatch()
    {
        m_engine->clock.advance(Duration(0));
        settle();
    }
    void advance(std::int64_t ms)
    {
        m_engine->clock.advance(Duration(ms));
        settle();
    }
    /// Moves time on until the next listing has been answered; returns when that was.
    SteadyTime nextPoll()
    {
        const int before = m_fake->polls;
        while (m_fake->polls == before)
            advance(10);
        flushBatch(); // what the listing changed, decided and batched at that moment
        return m_engine->clock.steadyNow();
    }
    /// Held requests whose path ends with `suffix` (POSTs unless `method` says otherwise).
    int heldTo(const QString &suffix, const QByteArray &method = "POST") const
    {
        return static_cast<int>(std::count_if(
            m_fake->held.cbegin(), m_fake->held.cend(), [&](const FakeTransport::Held &h) {
                return h.request.method == method && h.request.path.endsWith(suffix);
            }));
    }

    std::unique_ptr<ManualEngine> m_engine;
    Orchestrator *m_orch = nullptr;
    HistoryStore *m_history = nullptr;
    PolicyStore *m_policies = nullptr;
    FakeTransport *m_fake = nullptr;
};

RemoteTask TestOrchestrator::task(const QString &id, int attempt, AttemptOutcome outcome,
                                  std::int64_t startedAgoMs, std::int64_t version)
{
    RemoteTask t;
    t.id = id;
    t.type = QStringLiteral("agent.run");
    t.attempt = attempt;
    t.version = version;
    t.createdAtMs = m_engine->clock.wallNowMs() - startedAgoMs;
    t.updatedAtMs = m_engine->clock.wallNowMs();
    RemoteAttempt a;
    a.number = attempt;
    a.startedAtMs = m_engine->clock.wallNowMs() - startedAgoMs;
    a.outcome = outcome;
    a.reason = attempt == 1 ? AttemptReason::Initial : AttemptReason::Auto;
    a.traceId = QStringLiteral("0af7651916cd43dd8448eb211c80319c");
    if (outcome != AttemptOutcome::Running) {
        a.endedAtMs = m_engine->clock.wallNowMs();
        a.durationMs = startedAgoMs;
        if (outcome == AttemptOutcome::Failed)
            a.httpStatus = 503;
    }
    t.state = outcome == AttemptOutcome::Running     ? RemoteState::Running
              : outcome == AttemptOutcome::Succeeded ? RemoteState::Succeeded
                                                     : RemoteState::Failed;
    t.lastAttempt = a;
    return t;
}

void TestOrchestrator::startEngine()
{
    if (m_engine)
        m_engine->restart();
    else
        m_engine = std::make_unique<ManualEngine>(
            kPolicy, [this](const EndpointConfig &c) -> std::unique_ptr<TaskTransport> {
                auto t = std::make_unique<FakeTransport>(c.key());
                m_fake = t.get();
                return t;
            });
    m_orch = &m_engine->orchestrator();
    m_history = &m_engine->history();
    m_policies = &m_engine->policies();
    EndpointConfig config;
    config.baseUrl = QUrl(kEndpoint);
    m_orch->addEndpoint(config);
}

void TestOrchestrator::init()
{
    m_engine.reset();
    m_fake = nullptr;
    startEngine();
    QVERIFY(m_fake);
    advance(0); // the first poll
    QCOMPARE(m_fake->polls, 1);
}

void TestOrchestrator::cleanup()
{
    m_orch = nullptr;
    m_history = nullptr;
    m_policies = nullptr;
    m_engine.reset();
}

void TestOrchestrator::retryIsSentExactlyWhenTheBackoffEnds()
{
    m_fake->page = {task(QStringLiteral("t1"), 1, AttemptOutcome::Failed, 50, 2)};
    nextPoll(); // brings the failure
    const SteadyTime seen = m_engine->clock.steadyNow();
    const auto due = m_orch->nextRetryAt(kEndpoint, QStringLiteral("t1"));
    QVERIFY(due.has_value());
    // The backoff counts from when this console saw the attempt ended (it never saw it run).
    QCOMPARE(*due, seen + Duration(200));
    advance(199);
    QCOMPARE(heldTo(QStringLiteral("/attempts")), 0);
    advance(1);
    QCOMPARE(heldTo(QStringLiteral("/attempts")), 1);
    const FakeTransport::Held &post = m_fake->held.back();
    QCOMPARE(post.request.method, QByteArray("POST"));
    QCOMPARE(post.request.path, QStringLiteral("/v1/tasks/t1/attempts"));
    QCOMPARE(post.header("If-Match"), QByteArray("\"2\""));
    QCOMPARE(post.request.body, QByteArray(R"({"deadlineMs":1500,"reason":"auto"})"));
    QVERIFY(!post.header("Idempotency-Key").isEmpty());
}

void TestOrchestrator::hungAttemptIsAbortedAtTimeoutPlusGrace()
{
    // Seen running in the endpoint's first answer: no earlier sighting bounds its start, so the
    // service's start time (300 ms ago) is trusted, never later than now.
    m_orch->removeEndpoint(kEndpoint);
    settle();
    EndpointConfig config;
    config.baseUrl = QUrl(kEndpoint);
    m_orch->addEndpoint(config);
    m_fake->page = {task(QStringLiteral("t2"), 1, AttemptOutcome::Running, 300, 1)};
    advance(0);
    const SteadyTime now = m_engine->clock.steadyNow();
    QCOMPARE(m_orch->attemptTimeoutAt(kEndpoint, QStringLiteral("t2")),
             std::optional(now - Duration(300) + Duration(1500) + AttemptWatch::kAbortGrace));
    advance(1699);
    QCOMPARE(heldTo(QStringLiteral("/abort")), 0);
    advance(1);
    QCOMPARE(heldTo(QStringLiteral("/abort")), 1);
    const FakeTransport::Held &abort = m_fake->held.back();
    QCOMPARE(abort.request.path, QStringLiteral("/v1/tasks/t2/attempts/1/abort"));
    QCOMPARE(abort.request.body, QByteArray(R"({"reason":"timeout"})"));
    QCOMPARE(abort.header("If-Match"), QByteArray("\"1\""));
    // The service ends it as a timeout; the policy retries it 200 ms later.
    RemoteTask ended = task(QStringLiteral("t2"), 1, AttemptOutcome::Timeout, 2000, 2);
    m_fake->answer(QStringLiteral("/abort"), 200, FakeTransport::taskBody(ended));
    settle();
    QCOMPARE(m_orch->nextRetryAt(kEndpoint, QStringLiteral("t2")),
             std::optional(m_engine->clock.steadyNow() + Duration(200)));
    QVERIFY(!m_orch->attemptTimeoutAt(kEndpoint, QStringLiteral("t2")).has_value());
    // The lifecycle the operator sees, and the history's record of it.
    const TrackedTask *t = m_orch->task(kEndpoint, QStringLiteral("t2"));
    QCOMPARE(t->condition.state, TaskState::RetryScheduled);
    QCOMPARE(t->condition.until, m_orch->nextRetryAt(kEndpoint, QStringLiteral("t2")));
    QVERIFY(m_history->flush());
    const auto events = m_history->lifecycle(kEndpoint, QStringLiteral("t2"));
    // First sight (already running) starts the lifecycle here without an event.
    QCOMPARE(events.size(), 2);
    QCOMPARE(events[0].from + u'>' + events[0].to + u'/' + events[0].cause,
             QStringLiteral("running>timed_out/attempt_timed_out"));
    QCOMPARE(events[1].from + u'>' + events[1].to + u'/' + events[1].cause,
             QStringLiteral("timed_out>retry_scheduled/retry_scheduled"));
}

void TestOrchestrator::attemptStartIsBoundedByWhatTheConsoleSaw()
{
    // A new task whose attempt claims to have started 10 minutes ago (a server clock ahead, or
    // this console's wall clock stepped back): it began after the previous poll answered.
    const SteadyTime previousPoll = nextPoll();
    m_fake->page = {task(QStringLiteral("t3"), 1, AttemptOutcome::Running, 600'000, 1)};
    nextPoll();
    QCOMPARE(m_orch->attemptTimeoutAt(kEndpoint, QStringLiteral("t3")),
             std::optional(previousPoll + Duration(1500) + AttemptWatch::kAbortGrace));
}

void TestOrchestrator::refusal412RereadsAndNeverResendsBlindly()
{
    m_fake->page = {task(QStringLiteral("t4"), 1, AttemptOutcome::Failed, 50, 2)};
    nextPoll();
    advance(200);
    QCOMPARE(heldTo(QStringLiteral("/attempts")), 1);
    m_fake->answer(QStringLiteral("/attempts"), 412,
                   R"({"type":"urn:rebound:problem:precondition-failed","status":412})");
    settle();
    // Read again, not sent again.
    QCOMPARE(heldTo(QStringLiteral("/attempts")), 0);
    QCOMPARE(heldTo(QStringLiteral("/v1/tasks/t4"), "GET"), 1);
    QVERIFY(!m_orch->task(kEndpoint, QStringLiteral("t4"))->lastError.isEmpty());
    // Someone else started attempt 2: nothing to do but watch it.
    m_fake->answer(
        QStringLiteral("/t4"), 200,
        FakeTransport::taskBody(task(QStringLiteral("t4"), 2, AttemptOutcome::Running, 10, 3)),
        "GET");
    settle();
    advance(1000);
    QCOMPARE(heldTo(QStringLiteral("/attempts")), 0);
    QVERIFY(!m_orch->nextRetryAt(kEndpoint, QStringLiteral("t4")).has_value());
}

void TestOrchestrator::refusedBeforeActingIsResentWithJitteredBackoff()
{
    m_fake->page = {task(QStringLiteral("t5"), 1, AttemptOutcome::Failed, 50, 2)};
    nextPoll();
    advance(200);
    QCOMPARE(heldTo(QStringLiteral("/attempts")), 1);
    const QByteArray key = m_fake->held.back().header("Idempotency-Key");
    const QByteArray body = m_fake->held.back().request.body;
    m_fake->answer(QStringLiteral("/attempts"), 503);
    settle();
    // Equal jitter over 500 ms with the scripted draw 0.5: 250 + 0.5 x 250 = 375 ms.
    advance(374);
    QCOMPARE(heldTo(QStringLiteral("/attempts")), 0);
    advance(1);
    QCOMPARE(heldTo(QStringLiteral("/attempts")), 1);
    QCOMPARE(m_fake->held.back().header("Idempotency-Key"), key);
    QCOMPARE(m_fake->held.back().request.body, body);
    // Still in the outbox until the answer: a crash now would re-send these same bytes.
    QCOMPARE(m_history->outbox().size(), 1);
    m_fake->answer(
        QStringLiteral("/attempts"), 202,
        FakeTransport::taskBody(task(QStringLiteral("t5"), 2, AttemptOutcome::Running, 0, 3)));
    settle();
    QCOMPARE(m_history->outbox().size(), 0);
}

void TestOrchestrator::deadTaskRetryGetsAFreshAllowance()
{
    // Attempt 3 of 3 failed: the policy stops and cancels the task.
    m_fake->page = {task(QStringLiteral("t6"), 3, AttemptOutcome::Failed, 50, 7)};
    nextPoll();
    QCOMPARE(heldTo(QStringLiteral("/cancel")), 1);
    // Attempts 1 and 2 were never seen: they are read, so the history has them.
    QCOMPARE(heldTo(QStringLiteral("/t6/attempts"), "GET"), 1);
    QCOMPARE(m_fake->held.back().request.body, QByteArray(R"({"reason":"exhausted"})"));
    QCOMPARE(m_orch->task(kEndpoint, QStringLiteral("t6"))->condition.stopReason,
             std::optional(StopReason::Exhausted));
    RemoteTask cancelled = task(QStringLiteral("t6"), 3, AttemptOutcome::Failed, 50, 8);
    cancelled.state = RemoteState::Cancelled;
    cancelled.cancelReason = QStringLiteral("exhausted");
    m_fake->answer(QStringLiteral("/cancel"), 200, FakeTransport::taskBody(cancelled));
    settle();
    QCOMPARE(m_orch->whyNotRetry(kEndpoint, QStringLiteral("t6")), QString());
    std::optional<Result<void>> done;
    m_orch->retryNow(kEndpoint, QStringLiteral("t6"), [&](Result<void> r) { done = r; });
    QCOMPARE(heldTo(QStringLiteral("/attempts")), 1);
    QCOMPARE(m_fake->held.back().request.body,
             QByteArray(R"({"deadlineMs":1500,"reason":"operator"})"));
    RemoteTask requeued = task(QStringLiteral("t6"), 4, AttemptOutcome::Running, 0, 9);
    requeued.lastAttempt->reason = AttemptReason::Operator;
    m_fake->answer(QStringLiteral("/attempts"), 202, FakeTransport::taskBody(requeued));
    settle();
    QVERIFY(done && *done);
    // Attempt 4 fails: under the fresh allowance it is the first of 3, so it is retried. This
    // console saw it running, so the service's end time counts (it lies in the bracket).
    const SteadyTime failedAt = m_engine->clock.steadyNow();
    RemoteTask failedAgain = task(QStringLiteral("t6"), 4, AttemptOutcome::Failed, 50, 10);
    failedAgain.lastAttempt->reason = AttemptReason::Operator;
    m_fake->page = {failedAgain};
    nextPoll();
    QCOMPARE(m_orch->nextRetryAt(kEndpoint, QStringLiteral("t6")),
             std::optional(failedAt + Duration(200)));
    QCOMPARE(heldTo(QStringLiteral("/cancel")), 0);
    QVERIFY(m_history->flush());
    QStringList moves;
    for (const LifecycleEvent &e : m_history->lifecycle(kEndpoint, QStringLiteral("t6")))
        moves << QStringLiteral("%1>%2/%3@%4").arg(e.from, e.to, e.cause).arg(e.attempt);
    QCOMPARE(moves, QStringList({QStringLiteral("failed>exhausted/retries_stopped@3"),
                                 QStringLiteral("exhausted>running/operator_requeue@4"),
                                 QStringLiteral("running>failed/attempt_failed@4"),
                                 QStringLiteral("failed>retry_scheduled/retry_scheduled@4")}));

    // A restart keeps the fresh allowance: attempt 5 failing is the second of three, retried.
    startEngine();
    const SteadyTime failed5 = m_engine->clock.steadyNow();
    m_fake->page = {task(QStringLiteral("t6"), 5, AttemptOutcome::Failed, 50, 12)};
    advance(0);
    QVERIFY(m_orch->task(kEndpoint, QStringLiteral("t6"))->requeuedByOperator);
    QCOMPARE(m_orch->task(kEndpoint, QStringLiteral("t6"))->allowanceBase, 3);
    QCOMPARE(heldTo(QStringLiteral("/cancel")), 0);
    QCOMPARE(m_orch->nextRetryAt(kEndpoint, QStringLiteral("t6")),
             std::optional(failed5 + Duration(400)));
}

void TestOrchestrator::attemptThatFailedBeforeItsAnswerIsDecided()
{
    // The retry's POST is still unanswered when push (or a poll) already shows the attempt it
    // started as failed: the answer then carries an older version than the one held.
    m_fake->page = {task(QStringLiteral("t7"), 1, AttemptOutcome::Failed, 50, 2)};
    nextPoll();
    advance(200);
    QCOMPARE(heldTo(QStringLiteral("/attempts")), 1);
    m_fake->page = {task(QStringLiteral("t7"), 2, AttemptOutcome::Failed, 20, 4)};
    nextPoll();
    const SteadyTime failedAt = m_engine->clock.steadyNow();
    // Held back while the request is on its way: no decision yet, none sent.
    QVERIFY(!m_orch->nextRetryAt(kEndpoint, QStringLiteral("t7")).has_value());
    QCOMPARE(m_orch->task(kEndpoint, QStringLiteral("t7"))->condition.state, TaskState::Failed);
    advance(30);
    m_fake->answer(
        QStringLiteral("/attempts"), 202,
        FakeTransport::taskBody(task(QStringLiteral("t7"), 2, AttemptOutcome::Running, 0, 3)));
    settle();
    // Decided from what is held (attempt 2 failed, version 4), not the older answer: the
    // second backoff step, counted from when the failure was seen.
    const TrackedTask *t = m_orch->task(kEndpoint, QStringLiteral("t7"));
    QCOMPARE(t->remote.version, 4);
    QCOMPARE(t->condition.state, TaskState::RetryScheduled);
    QCOMPARE(m_orch->nextRetryAt(kEndpoint, QStringLiteral("t7")),
             std::optional(failedAt + Duration(400)));
}

void TestOrchestrator::onlyTheOwnerDecidesAndItsActionsCarryTheFence()
{
    // A fleet member owns t1 and t3 (shard 3, fence revision 40); another member owns t2.
    QSet<QString> mine{QStringLiteral("t1"), QStringLiteral("t3")};
    QList<Fence> stale;
    Orchestrator::Ownership ownership;
    ownership.fenceOf = [&](const QString &, const QString &id) -> std::optional<Fence> {
        if (!mine.contains(id))
            return std::nullopt;
        return Fence{3, 40};
    };
    ownership.staleFence = [&](const Fence &f) { stale << f; };
    m_orch->setOwnership(ownership);
    m_fake->page = {task(QStringLiteral("t1"), 1, AttemptOutcome::Failed, 50, 2),
                    task(QStringLiteral("t2"), 1, AttemptOutcome::Failed, 50, 2),
                    task(QStringLiteral("t3"), 1, AttemptOutcome::Failed, 50, 2)};
    nextPoll();
    const SteadyTime seen = m_engine->clock.steadyNow();
    QCOMPARE(m_orch->nextRetryAt(kEndpoint, QStringLiteral("t1")),
             std::optional(seen + Duration(200)));
    QCOMPARE(m_orch->nextRetryAt(kEndpoint, QStringLiteral("t3")),
             std::optional(seen + Duration(200)));
    // Not this member's: undecided here, no decision in its history.
    QVERIFY(!m_orch->nextRetryAt(kEndpoint, QStringLiteral("t2")).has_value());
    QCOMPARE(m_orch->task(kEndpoint, QStringLiteral("t2"))->condition.state, TaskState::Failed);
    QVERIFY(!m_orch->task(kEndpoint, QStringLiteral("t2"))->lastDecision.has_value());

    // The shards move before the retries are due: t3 leaves, t2 arrives.
    advance(100);
    mine = {QStringLiteral("t1"), QStringLiteral("t2")};
    m_orch->ownershipChanged();
    settle();
    const TrackedTask *t3 = m_orch->task(kEndpoint, QStringLiteral("t3"));
    QVERIFY(!m_orch->nextRetryAt(kEndpoint, QStringLiteral("t3")).has_value());
    QCOMPARE(t3->condition.state, TaskState::Failed);
    QVERIFY(m_history->scheduled().size() == 2); // t1 and t2; t3's schedule left with it
    // The new owner decides t2 from the service's state: the backoff counts from when the
    // failure was seen, not from when the shard arrived.
    QCOMPARE(m_orch->nextRetryAt(kEndpoint, QStringLiteral("t2")),
             std::optional(seen + Duration(200)));

    advance(100);
    QCOMPARE(heldTo(QStringLiteral("/attempts")), 2);
    for (const FakeTransport::Held &h : m_fake->held) {
        QVERIFY(!h.request.path.contains(QLatin1String("t3")));
        if (h.request.method == "POST")
            QCOMPARE(h.header("Rebound-Fence"), QByteArray("3:40"));
    }
    // An operator's retry goes out without a fence, whoever owns the task.
    m_orch->retryNow(kEndpoint, QStringLiteral("t3"));
    settle();
    QCOMPARE(heldTo(QStringLiteral("t3/attempts")), 1);
    QVERIFY(m_fake->held.back().header("Rebound-Fence").isEmpty());

    // The service knows a newer owner of shard 3: the member hears which fence went stale.
    m_fake->answer(QStringLiteral("t2/attempts"), 409,
                   R"({"type":"urn:rebound:problem:stale-fence","title":"x","status":409})", "POST",
                   {{"content-type", "application/problem+json"}});
    settle();
    QCOMPARE(stale.size(), 1);
    QCOMPARE(stale.first(), (Fence{3, 40}));
}

void TestOrchestrator::claimedShardsAreAnnouncedToEveryEndpoint()
{
    QList<Fence> held{{3, 40}, {5, 41}};
    QList<Fence> stale;
    Orchestrator::Ownership o;
    o.fenceOf = [](const QString &, const QString &) { return std::optional<Fence>(); };
    o.staleFence = [&](const Fence &f) { stale << f; };
    o.held = [&] { return held; };
    m_orch->setOwnership(o);
    // Two shards claimed: each fence goes to the endpoint at once, before anything is decided.
    m_orch->announceFences(held);
    QCOMPARE(heldTo(QStringLiteral("/v1/fences")), 2);
    QCOMPARE(m_fake->held[0].request.body, QByteArray(R"({"revision":40,"shard":3})"));
    QCOMPARE(m_fake->held[1].request.body, QByteArray(R"({"revision":41,"shard":5})"));
    m_fake->answer(QStringLiteral("/v1/fences"), 200, R"({"revision":40,"shard":3})");
    // A newer owner has announced shard 5 already: this member hears its fence went stale.
    m_fake->answer(QStringLiteral("/v1/fences"), 409,
                   R"({"type":"urn:rebound:problem:stale-fence","title":"x","status":409})", "POST",
                   {{"content-type", "application/problem+json"}});
    QCOMPARE(stale, QList<Fence>{(Fence{5, 41})});
    // An endpoint added later hears of the shards held by then, and only it.
    FakeTransport *first = m_fake;
    EndpointConfig second;
    second.baseUrl = QUrl(QStringLiteral("http://second.test"));
    held = {{3, 40}};
    m_orch->addEndpoint(second);
    QVERIFY(m_fake != first);
    QCOMPARE(heldTo(QStringLiteral("/v1/fences")), 1);
    QCOMPARE(m_fake->held[0].request.body, QByteArray(R"({"revision":40,"shard":3})"));
    QVERIFY(first->held.empty());
    // A service without the route: nothing is dropped, the fence rides on each action.
    m_fake->answer(QStringLiteral("/v1/fences"), 404);
    QCOMPARE(stale.size(), 1);
    m_orch->setOwnership({});
}

void TestOrchestrator::sharedPermitIsAskedBeforeEachRetry()
{
    // 2 retries/s with a burst of 1 — shared: the local bucket stands aside, the permit decides.
    const QByteArray shared =
        QByteArray(kPolicy).replace(R"("ratePerSecond":0)", R"("ratePerSecond":2,"burst":1)");
    QVERIFY(m_policies->apply(shared, QStringLiteral("test")));
    HeldPermits permits;
    m_orch->setRetryPermits(&permits);
    m_fake->page = {task(QStringLiteral("t1"), 1, AttemptOutcome::Failed, 50, 2),
                    task(QStringLiteral("t2"), 1, AttemptOutcome::Failed, 50, 2)};
    nextPoll();
    const SteadyTime seen = m_engine->clock.steadyNow();
    advance(199);
    QVERIFY(permits.asks.empty());
    advance(1); // both due: each asks, nothing starts before an answer
    QCOMPARE(permits.asks.size(), size_t(2));
    QCOMPARE(permits.asks[0].key, (GuardKey{kEndpoint, QStringLiteral("agent.run")}));
    QCOMPARE(permits.asks[0].budget.ratePerSecond, 2.0);
    QCOMPARE(heldTo(QStringLiteral("/attempts")), 0);
    // The local bucket (burst 1) would have refused the second: shared, it is not asked.
    permits.asks[0].done(RetryPermit{true, Duration(0)});
    permits.asks[1].done(RetryPermit{false, Duration(300)});
    settle();
    QCOMPARE(heldTo(QStringLiteral("/attempts")), 1);
    // Refused: deferred for the budget, decided again when the limit said one would be free.
    QCOMPARE(heldTo(QStringLiteral("t1/attempts")), 1); // asked first (due first, scheduled first)
    const QString refused = QStringLiteral("t2");
    const TrackedTask *t = m_orch->task(kEndpoint, refused);
    QCOMPARE(t->condition.state, TaskState::Deferred);
    QVERIFY(t->lastDecision && std::holds_alternative<DeferPlan>(*t->lastDecision));
    QCOMPARE(std::get<DeferPlan>(*t->lastDecision).reason, DeferReason::BudgetExhausted);
    QCOMPARE(m_orch->nextRetryAt(kEndpoint, refused), std::optional(seen + Duration(200 + 300)));
    // At the recheck it is decided again (due at once: its backoff has passed) and asks again.
    advance(300);
    QCOMPARE(permits.asks.size(), size_t(3));
    QCOMPARE(heldTo(refused + QStringLiteral("/attempts")), 0);
    permits.asks[2].done(RetryPermit{true, Duration(0)});
    settle();
    QCOMPARE(heldTo(QStringLiteral("/attempts")), 2);
    m_orch->setRetryPermits(nullptr);
}

void TestOrchestrator::resetBreakerWakesWhatItHeld()
{
    // 20 failures while an operator holds the breaker open: each waits for the open time.
    const QString type = QStringLiteral("agent.run");
    m_orch->commandBreaker(kEndpoint, type, BreakerCommand::ForceOpen);
    for (int i = 0; i < 20; ++i)
        m_fake->page << task(QStringLiteral("t%1").arg(i), 1, AttemptOutcome::Failed, 50, 2);
    const SteadyTime seen = nextPoll();
    for (int i = 0; i < 20; ++i) {
        const TrackedTask *t = m_orch->task(kEndpoint, QStringLiteral("t%1").arg(i));
        QVERIFY(t && t->lastDecision);
        const auto *defer = std::get_if<DeferPlan>(&*t->lastDecision);
        QVERIFY(defer);
        QCOMPARE(defer->reason, DeferReason::BreakerOpen);
        QVERIFY(*m_orch->nextRetryAt(kEndpoint, t->remote.id) >= seen + Duration(1000));
    }
    advance(500);
    const SteadyTime resetAt = m_engine->clock.steadyNow();
    // Reset: all 20 are decided again before the event loop turns, none at the old time.
    m_orch->commandBreaker(kEndpoint, type, BreakerCommand::Reset);
    for (int i = 0; i < 20; ++i) {
        const TrackedTask *t = m_orch->task(kEndpoint, QStringLiteral("t%1").arg(i));
        QVERIFY2(std::holds_alternative<RetryPlan>(*t->lastDecision), qPrintable(t->remote.id));
        QCOMPARE(t->decidedAt, resetAt);
        // The 200 ms backoff counts from when the failure was seen, 500 ms ago: due now.
        QCOMPARE(*m_orch->nextRetryAt(kEndpoint, t->remote.id), resetAt);
    }
    advance(0);
    QCOMPARE(heldTo(QStringLiteral("/attempts")), 20);
}

void TestOrchestrator::recheckedDeferralWritesOneTimelineRow()
{
    // A breaker held open: the deferred task is decided again at every re-check (each time
    // the breaker's open time runs out), and its timeline gains no row for a re-check that
    // finds the same cause.
    const QString type = QStringLiteral("agent.run");
    m_orch->commandBreaker(kEndpoint, type, BreakerCommand::ForceOpen);
    m_fake->page << task(QStringLiteral("r1"), 1, AttemptOutcome::Failed, 50, 2);
    nextPoll();
    const TrackedTask *t = m_orch->task(kEndpoint, QStringLiteral("r1"));
    QVERIFY(t && t->lastDecision && std::holds_alternative<DeferPlan>(*t->lastDecision));
    SteadyTime decided = t->decidedAt;
    int rechecks = 0;
    for (int i = 0; i < 240; ++i) {
        advance(500);
        if (t->decidedAt != decided) {
            decided = t->decidedAt;
            ++rechecks;
        }
    }
    QVERIFY2(rechecks >= 3, qPrintable(QString::number(rechecks))); // decided again, repeatedly
    QVERIFY(m_history->flush());
    const auto events = m_history->lifecycle(kEndpoint, QStringLiteral("r1"));
    QStringList moves;
    for (const LifecycleEvent &e : events)
        moves << e.from + u'>' + e.to + u':' + e.detail;
    QCOMPARE(moves, QStringList{QStringLiteral("failed>deferred:breaker_open")});
}

void TestOrchestrator::policyChangeWakesWhatItHeld()
{
    // A health line so low that one failure defers; a new policy version lifts it: the
    // deferred task is decided again when the version applies, not a recheck (10 min) later.
    const auto apply = [this](const QByteArray &health) {
        return bool(m_policies->apply(
            QByteArray(kPolicy).replace(R"("health":{"unhealthyScore":100})", health),
            QStringLiteral("test")));
    };
    QVERIFY(apply(R"("health":{"unhealthyScore":0.01,"minimumCalls":1,"recheckMs":600000})"));
    m_fake->page << task(QStringLiteral("b1"), 1, AttemptOutcome::Failed, 50, 2);
    nextPoll();
    const TrackedTask *t = m_orch->task(kEndpoint, QStringLiteral("b1"));
    QVERIFY(t && t->lastDecision);
    QVERIFY(std::holds_alternative<DeferPlan>(*t->lastDecision));
    QCOMPARE(std::get<DeferPlan>(*t->lastDecision).reason, DeferReason::Unhealthy);
    advance(500);
    QVERIFY(apply(R"("health":{"unhealthyScore":100})"));
    QVERIFY(std::holds_alternative<RetryPlan>(*t->lastDecision));
    QCOMPARE(t->decidedAt, m_engine->clock.steadyNow());
    advance(0);
    QCOMPARE(heldTo(QStringLiteral("/attempts")), 1);
}

void TestOrchestrator::endedRetryWakesWhatTheBudgetHeld()
{
    // One retry at a time (Envoy-style concurrency 1), and a recheck so far off that only a
    // freed budget can explain a task being decided again.
    QVERIFY(m_policies->apply(
        QByteArray(kPolicy).replace(R"("budget":{"budgetPercent":0,)",
                                    R"("budget":{"budgetPercent":1,"minRetryConcurrency":1,)"
                                    R"("recheckMs":600000,)"),
        QStringLiteral("test")));
    m_fake->page = {task(QStringLiteral("a0"), 1, AttemptOutcome::Failed, 50, 2)};
    nextPoll();
    advance(200);
    QCOMPARE(heldTo(QStringLiteral("a0/attempts")), 1); // the one retry allowed, running
    for (int i = 1; i <= 4; ++i)
        m_fake->page << task(QStringLiteral("b%1").arg(i), 1, AttemptOutcome::Failed, 50, 2);
    nextPoll();
    for (int i = 1; i <= 4; ++i) {
        const TrackedTask *t = m_orch->task(kEndpoint, QStringLiteral("b%1").arg(i));
        QVERIFY(t && t->lastDecision && std::holds_alternative<DeferPlan>(*t->lastDecision));
        QCOMPARE(std::get<DeferPlan>(*t->lastDecision).reason, DeferReason::BudgetExhausted);
    }
    advance(1000);
    // a0's retry is accepted, runs and succeeds: the budget has room for one again, and one
    // held task goes at once, not 10 min later (all four failed as one listing showed them:
    // the first by id).
    RemoteTask running = task(QStringLiteral("a0"), 2, AttemptOutcome::Running, 0, 3);
    m_fake->answer(QStringLiteral("a0/attempts"), 202, FakeTransport::taskBody(running));
    settle();
    QCOMPARE(heldTo(QStringLiteral("/attempts")), 0);
    m_fake->page = {task(QStringLiteral("a0"), 2, AttemptOutcome::Succeeded, 30, 4)};
    const SteadyTime freed = nextPoll();
    const TrackedTask *first = m_orch->task(kEndpoint, QStringLiteral("b1"));
    QVERIFY(std::holds_alternative<RetryPlan>(*first->lastDecision));
    QCOMPARE(first->decidedAt, freed);
    for (int i = 2; i <= 4; ++i) { // the others wait for the next free place
        const TrackedTask *t = m_orch->task(kEndpoint, QStringLiteral("b%1").arg(i));
        QVERIFY2(std::holds_alternative<DeferPlan>(*t->lastDecision), qPrintable(t->remote.id));
        QVERIFY(t->decidedAt < freed);
    }
    advance(0);
    QCOMPARE(heldTo(QStringLiteral("b1/attempts")), 1);
    QCOMPARE(heldTo(QStringLiteral("/attempts")), 1);
    // Refused by the service (another actor moved the task): the place is given back, and
    // the next one goes.
    m_fake->answer(QStringLiteral("b1/attempts"), 412,
                   R"({"type":"urn:rebound:problem:precondition-failed","status":412})");
    settle();
    advance(0);
    QCOMPARE(heldTo(QStringLiteral("b2/attempts")), 1);
    QCOMPARE(heldTo(QStringLiteral("/attempts")), 1);
}

void TestOrchestrator::failedReadGoesWhenTheServiceIsBack()
{
    // A read that failed four times waits 8 s; the service refuses one listing and then
    // answers again: the read goes with that answer, not 8 s later.
    m_fake->page = {task(QStringLiteral("back"), 3, AttemptOutcome::Succeeded, 40, 5)};
    nextPoll();
    for (int i = 0; i < 4; ++i) {
        QCOMPARE(heldTo(QStringLiteral("/back/attempts"), "GET"), 1);
        m_fake->answer(QStringLiteral("/back/attempts"), 503, {}, "GET");
        if (i < 3)
            advance(1000 << i);
    }
    settle();
    QCOMPARE(heldTo(QStringLiteral("/back/attempts"), "GET"), 0); // 8 s to go
    m_fake->failPolls = 1;
    nextPoll(); // refused: the endpoint backs off
    QCOMPARE(heldTo(QStringLiteral("/back/attempts"), "GET"), 0);
    const SteadyTime refused = m_engine->clock.steadyNow();
    nextPoll(); // answered again
    QVERIFY(m_engine->clock.steadyNow() - refused < Duration(8000));
    QCOMPARE(heldTo(QStringLiteral("/back/attempts"), "GET"), 1);
}

void TestOrchestrator::firstSeenLateFetchesEarlierAttempts()
{
    // Someone else ran this task while the console looked away: first listed at attempt 3,
    // already succeeded. Its history must hold all three, with the service's facts.
    RemoteTask t = task(QStringLiteral("late"), 3, AttemptOutcome::Succeeded, 40, 5);
    const std::int64_t t0 = m_engine->clock.wallNowMs() - 10'000;
    QList<RemoteAttempt> served;
    for (int n = 1; n <= 3; ++n) {
        RemoteAttempt a;
        a.number = n;
        a.reason = n == 1 ? AttemptReason::Initial : AttemptReason::Operator;
        a.startedAtMs = t0 + n * 1000;
        a.endedAtMs = a.startedAtMs + 100 * n;
        a.durationMs = 100 * n;
        a.outcome = n == 3 ? AttemptOutcome::Succeeded : AttemptOutcome::Failed;
        if (n < 3)
            a.httpStatus = 503;
        served << a;
    }
    t.lastAttempt = served.last();
    m_fake->page = {t};
    nextPoll();
    QCOMPARE(heldTo(QStringLiteral("/late/attempts"), "GET"), 1);
    // The first answer fails: asked again after 1 s, not before, and not more than once.
    m_fake->answer(QStringLiteral("/late/attempts"), 503, {}, "GET");
    advance(999);
    QCOMPARE(heldTo(QStringLiteral("/late/attempts"), "GET"), 0);
    advance(1);
    QCOMPARE(heldTo(QStringLiteral("/late/attempts"), "GET"), 1);
    QJsonArray body;
    for (const RemoteAttempt &a : std::as_const(served))
        body.append(TaskJson::toJson(a));
    m_fake->answer(QStringLiteral("/late/attempts"), 200,
                   QJsonDocument(QJsonObject{{QStringLiteral("attempts"), body}})
                       .toJson(QJsonDocument::Compact),
                   "GET");
    settle();
    QVERIFY(m_history->flush());
    const auto rows = m_history->attempts(kEndpoint, QStringLiteral("late"));
    QCOMPARE(rows.size(), 3);
    for (int i = 0; i < 3; ++i) {
        QCOMPARE(rows[i].attempt, i + 1);
        QCOMPARE(rows[i].reason, toText(served[i].reason));
        QCOMPARE(rows[i].outcome, toText(served[i].outcome));
        QCOMPARE(rows[i].endedAtMs, served[i].endedAtMs);
    }
    advance(60'000);
    QCOMPARE(heldTo(QStringLiteral("/attempts"), "GET"), 0); // nothing more asked
}

void TestOrchestrator::snapshotBackfillIsPaced()
{
    // Tasks that existed before the console looked, each with attempts it never saw: their
    // earlier attempts are fetched two at a time, never all at once.
    m_orch->removeEndpoint(kEndpoint);
    settle();
    EndpointConfig config;
    config.baseUrl = QUrl(kEndpoint);
    m_orch->addEndpoint(config);
    for (int i = 0; i < 6; ++i)
        m_fake->page << task(QStringLiteral("old%1").arg(i), 2, AttemptOutcome::Succeeded, 40, 3);
    advance(0);
    QCOMPARE(heldTo(QStringLiteral("/attempts"), "GET"), TaskReader::kBackfillInFlight);
    int answered = 0;
    while (heldTo(QStringLiteral("/attempts"), "GET") > 0) {
        m_fake->answer(QStringLiteral("/attempts"), 200, R"({"attempts":[]})", "GET");
        ++answered;
        settle();
        QVERIFY(heldTo(QStringLiteral("/attempts"), "GET") <= TaskReader::kBackfillInFlight);
    }
    QCOMPARE(answered, 6);
}

void TestOrchestrator::viewRowsCarryTheScheduleAndAttemptsAnswer()
{
    // A view hears each changed task as a value: its state, cause and the due time of its
    // retry, the same the engine keeps.
    EngineView &view = *m_orch;
    QSignalSpy rows(&view, &EngineView::rowsUpdated);
    m_fake->page = {task(QStringLiteral("v1"), 1, AttemptOutcome::Failed, 50, 2)};
    nextPoll();
    settle();
    QVERIFY(!rows.isEmpty());
    const auto batch = rows.last().first().value<QList<TaskRow>>();
    QCOMPARE(batch.size(), 1);
    const TaskRow row = batch.first();
    QCOMPARE(row.key, TaskRow::keyOf(kEndpoint, QStringLiteral("v1")));
    QCOMPARE(row.condition.state, TaskState::RetryScheduled);
    QVERIFY(view.nextAttemptAt(kEndpoint, QStringLiteral("v1")).has_value());
    QCOMPARE(view.nextAttemptAt(kEndpoint, QStringLiteral("v1")),
             m_orch->nextRetryAt(kEndpoint, QStringLiteral("v1")));
    QVERIFY(row.decision && std::holds_alternative<RetryPlan>(*row.decision));
    QCOMPARE(view.row(row.key)->condition, row.condition);
    QCOMPARE(view.rows().size(), 1);
    QVERIFY(!view.row(TaskRow::keyOf(kEndpoint, QStringLiteral("nobody"))));

    // attempts(): through the engine's reader; a refusal is said in words, then the answer.
    // (The engine's own read of the task's attempts may be on the way: answer it first.)
    while (heldTo(QStringLiteral("/v1/attempts"), "GET") > 0) {
        m_fake->answer(QStringLiteral("/v1/attempts"), 200, R"({"attempts":[]})", "GET");
        settle();
    }
    std::optional<Result<QList<RemoteAttempt>>> heard;
    const auto listen = [&heard](Result<QList<RemoteAttempt>> r) { heard = std::move(r); };
    view.attempts(kEndpoint, QStringLiteral("v1"), listen);
    QCOMPARE(heldTo(QStringLiteral("/v1/attempts"), "GET"), 1);
    m_fake->answer(QStringLiteral("/v1/attempts"), 503, {}, "GET");
    settle();
    QVERIFY(heard && !*heard);
    QVERIFY2(heard->error().message.contains(QLatin1String("could not read the attempts of v1")),
             qPrintable(heard->error().message));
    heard.reset();
    // Asked again, the read goes at once (the reader drops its backoff for a read asked now).
    view.attempts(kEndpoint, QStringLiteral("v1"), listen);
    QCOMPARE(heldTo(QStringLiteral("/v1/attempts"), "GET"), 1);
    RemoteAttempt a;
    a.number = 1;
    a.outcome = AttemptOutcome::Failed;
    a.httpStatus = 503;
    m_fake->answer(
        QStringLiteral("/v1/attempts"), 200,
        QJsonDocument(QJsonObject{{QStringLiteral("attempts"), QJsonArray{TaskJson::toJson(a)}}})
            .toJson(QJsonDocument::Compact),
        "GET");
    settle();
    QVERIFY(heard && *heard);
    QCOMPARE((*heard)->size(), 1);
    QCOMPARE((*heard)->first().httpStatus, std::optional<int>(503));
    // An endpoint nobody watches answers at once, in words.
    heard.reset();
    view.attempts(QStringLiteral("http://elsewhere.test"), QStringLiteral("v1"), listen);
    QVERIFY(heard && !*heard);
    QCOMPARE(heard->error().code, QStringLiteral("endpoint_unknown"));
}

QTEST_GUILESS_MAIN(TestOrchestrator)
#include "tst_orchestrator.moc"
