// Integration: attempts against the real rebound-taskd — hung attempts end as timeouts and are
// retried, the history stays complete when someone else acts, dead tasks can be retried, an
// operator can abort a running attempt.
#include "OrchestratorFixture.h"
#include "ProcessRun.h"
#include "TaskdProcess.h"
#include "engine/Orchestrator.h"
#include "history/HistoryStore.h"

#include <QJsonArray>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

using namespace rebound;

namespace {

// Guards that never get in the way: these tests look at attempts, not at protection.
const QByteArray kNoGuards =
    R"(,"breaker":{"windowSize":100000,"minimumNumberOfCalls":100000},"health":{"unhealthyScore":100},)"
    R"("budget":{"budgetPercent":0,"maxTokens":0,"ratePerSecond":0})";

QByteArray policyWith(int maxAttempts, int backoffMs, const QByteArray &timeout)
{
    return fixedBackoffPolicy(maxAttempts, backoffMs, backoffMs,
                              kNoGuards +
                                  (timeout.isEmpty() ? QByteArray() : ",\"timeout\":" + timeout));
}

bool terminal(const QJsonObject &task)
{
    const QString s = task.value(QStringLiteral("state")).toString();
    return s == QLatin1String("succeeded") || s == QLatin1String("cancelled");
}

} // namespace

class TestAttempts final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init() { m_dir = std::make_unique<QTemporaryDir>(); }
    void hungAttemptsTimeOutAndRetry_data();
    void hungAttemptsTimeOutAndRetry();
    void historyEqualsServerWhenSomeoneElseActs();
    void retryNowRevivesAnExhaustedTask();
    void operatorAbortsARunningAttempt();
    void reboundctlAbortsAndRevives();

private:
    std::unique_ptr<QTemporaryDir> m_dir;
};

void TestAttempts::hungAttemptsTimeOutAndRetry_data()
{
    QTest::addColumn<QByteArray>("timeout");
    QTest::addColumn<bool>("adaptive");
    QTest::newRow("fixed 1500 ms") << QByteArray(R"({"mode":"fixed","fixedMs":1500})") << false;
    // 1.5 x p95 of 100-300 ms answers is about 450 ms once 10 durations are known.
    QTest::newRow("adaptive")
        << QByteArray(R"({"mode":"adaptive","fixedMs":1500,"minSamples":10,"windowSize":200,)"
                      R"("percentile":0.95,"multiplier":1.5,"floorMs":200,"ceilingMs":1500})")
        << true;
}

void TestAttempts::hungAttemptsTimeOutAndRetry()
{
    QFETCH(QByteArray, timeout);
    QFETCH(bool, adaptive);
    // 30 % of agent.run attempts never answer. The service ends an attempt only at the deadline
    // the console sent, or after 60 s (its own initial attempts have no deadline).
    TaskdProcess taskd;
    QVERIFY2(
        taskd.start(
            0, R"({"types":{"agent.run":{"hang":0.3,"latencyMinMs":100,"latencyMaxMs":300}}})"),
        qPrintable(taskd.error));
    OrchestratorFixture c(taskd.url, policyWith(8, 100, timeout), m_dir->path(),
                          QStringLiteral("hung"));
    c.start(100, 300);
    QStringList ids;
    for (int i = 0; i < 40; ++i) {
        ids << taskd.createTask(QStringLiteral("agent.run"));
        QTest::qWait(25);
    }
    QTRY_VERIFY_WITH_TIMEOUT(
        std::all_of(ids.cbegin(), ids.cend(),
                    [&](const QString &id) { return terminal(taskd.task(id)); }),
        60'000);

    int timedOut = 0;
    int timedOutInitial = 0;
    int shortTimeouts = 0;
    qint64 longest = 0;
    for (const QString &id : std::as_const(ids)) {
        const QJsonArray attempts = taskd.attempts(id);
        QTRY_COMPARE_WITH_TIMEOUT(c.history->attempts(c.endpoint.key(), id).size(), attempts.size(),
                                  5000);
        // The last outcome reaches the history with the console's next poll.
        QTRY_COMPARE_WITH_TIMEOUT(
            c.history->attempts(c.endpoint.key(), id).last().outcome,
            attempts.last().toObject().value(QStringLiteral("outcome")).toString(), 5000);
        const auto rows = c.history->attempts(c.endpoint.key(), id);
        for (qsizetype i = 0; i < attempts.size(); ++i) {
            const QJsonObject a = attempts[i].toObject();
            const QString outcome = a.value(QStringLiteral("outcome")).toString();
            QVERIFY2(outcome != QLatin1String("running"), qPrintable(id));
            QCOMPARE(rows[i].outcome, outcome);
            if (outcome != QLatin1String("timeout"))
                continue;
            ++timedOut;
            // Within timeout + 3 s of its start, on the service's clock.
            const qint64 ms = a.value(QStringLiteral("durationMs")).toInteger();
            QVERIFY2(ms <= 1500 + 3000,
                     qPrintable(QStringLiteral("%1 #%2 ran %3 ms").arg(id).arg(i + 1).arg(ms)));
            longest = std::max(longest, ms);
            if (a.value(QStringLiteral("reason")).toString() == QLatin1String("initial"))
                ++timedOutInitial;
            if (ms < 1000)
                ++shortTimeouts;
            // Retried by policy: a timeout is never the last attempt of a task that had
            // attempts left.
            if (i + 1 == attempts.size())
                QCOMPARE(taskd.task(id).value(QStringLiteral("cancelReason")).toString(),
                         QStringLiteral("exhausted"));
        }
    }
    qInfo("timed out: %d attempts (%d initial, %d under 1 s), longest ran %lld ms", timedOut,
          timedOutInitial, shortTimeouts, longest);
    QVERIFY2(timedOut >= 5, qPrintable(QString::number(timedOut)));
    QVERIFY2(timedOutInitial >= 3, qPrintable(QString::number(timedOutInitial)));
    // Adaptive: once durations are known, the console's deadlines follow them (about 450 ms).
    if (adaptive)
        QVERIFY2(shortTimeouts >= 1, qPrintable(QString::number(shortTimeouts)));
    else
        QCOMPARE(shortTimeouts, 0);
}

void TestAttempts::historyEqualsServerWhenSomeoneElseActs()
{
    TaskdProcess taskd;
    QVERIFY2(
        taskd.start(
            0,
            R"({"types":{"job.x":{"unavailable":0.6,"retryAfterProbability":0,"latencyMinMs":20,"latencyMaxMs":80}}})"),
        qPrintable(taskd.error));
    OrchestratorFixture c(taskd.url, policyWith(5, 400, {}), m_dir->path(), QStringLiteral("else"));
    // Someone else retries failed tasks between this console's polls.
    taskd.setFaults(QJsonObject{{QStringLiteral("actorRetriesPerSecond"), 40}});
    c.start(200, 600);
    // The other actor retries at least 40 failed tasks behind the console's back. It only
    // wins the failures the console has not retried yet, so on a busy machine it may need
    // more tasks: they come in tens until it has (at most 200).
    const auto actorRetries = [&] {
        return taskd.metricSum("rebound_taskd_faults_injected_total{kind=\"actor\"}");
    };
    QStringList ids;
    while (actorRetries() < 40 && ids.size() < 200) {
        for (int i = 0; i < 10; ++i)
            ids << taskd.createTask(QStringLiteral("job.x"));
        (void)QTest::qWaitFor([&] { return actorRetries() >= 40; }, 3000);
    }
    QVERIFY2(actorRetries() >= 40, qPrintable(QString::number(actorRetries())));
    taskd.setFaults(QJsonObject{});
    QTRY_VERIFY_WITH_TIMEOUT(
        std::all_of(ids.cbegin(), ids.cend(),
                    [&](const QString &id) { return terminal(taskd.task(id)); }),
        60'000);
    QVERIFY(taskd.metric("rebound_taskd_faults_injected_total{kind=\"actor\"}") > 10);
    int attempts = 0;
    for (const QString &id : std::as_const(ids)) {
        const QJsonArray server = taskd.attempts(id);
        QTRY_COMPARE_WITH_TIMEOUT(c.history->attempts(c.endpoint.key(), id).size(), server.size(),
                                  5000);
        // Ended attempts may still be on their way to the history: wait for the last outcome.
        const QString last = server.last().toObject().value(QStringLiteral("outcome")).toString();
        QTRY_COMPARE_WITH_TIMEOUT(c.history->attempts(c.endpoint.key(), id).last().outcome, last,
                                  5000);
        const auto rows = c.history->attempts(c.endpoint.key(), id);
        for (qsizetype i = 0; i < server.size(); ++i) {
            const QJsonObject a = server[i].toObject();
            const QString where = QStringLiteral("%1 #%2").arg(id).arg(i + 1);
            QCOMPARE(rows[i].attempt, a.value(QStringLiteral("number")).toInt());
            QVERIFY2(rows[i].reason == a.value(QStringLiteral("reason")).toString(),
                     qPrintable(where));
            QVERIFY2(rows[i].outcome == a.value(QStringLiteral("outcome")).toString(),
                     qPrintable(where + QStringLiteral(": history says ") + rows[i].outcome));
            QVERIFY2(rows[i].endedAtMs.has_value(), qPrintable(where));
            ++attempts;
        }
    }
    qInfo("history = server for %d attempts of %lld tasks (%g started by someone else)", attempts,
          qint64(ids.size()), taskd.metric("rebound_taskd_faults_injected_total{kind=\"actor\"}"));
    QVERIFY(attempts > 60);
    // The lifecycle names who moved the task: the actor's attempts are someone else's.
    QVERIFY(c.history->flush());
    int someoneElse = 0;
    for (const QString &id : std::as_const(ids))
        for (const LifecycleEvent &e : c.history->lifecycle(c.endpoint.key(), id))
            someoneElse += e.cause == QLatin1String("someone_else");
    QVERIFY2(someoneElse > 0, "no attempt was seen as someone else's");
}

void TestAttempts::retryNowRevivesAnExhaustedTask()
{
    TaskdProcess taskd;
    QVERIFY2(
        taskd.start(
            0,
            R"({"types":{"dead.op":{"unavailable":1.0,"retryAfterProbability":0,"latencyMinMs":5,"latencyMaxMs":10}}})"),
        qPrintable(taskd.error));
    OrchestratorFixture c(taskd.url, policyWith(2, 50, {}), m_dir->path(), QStringLiteral("dead"));
    c.start();
    const QString id = taskd.createTask(QStringLiteral("dead.op"));
    QTRY_COMPARE_WITH_TIMEOUT(taskd.task(id).value(QStringLiteral("state")).toString(),
                              QStringLiteral("cancelled"), 15'000);
    QCOMPARE(taskd.attempts(id).size(), 2);
    QTRY_COMPARE_WITH_TIMEOUT(c.orchestrator->task(c.endpoint.key(), id)->remote.state,
                              RemoteState::Cancelled, 5000);
    QCOMPARE(c.orchestrator->whyNotRetry(c.endpoint.key(), id), QString());

    std::optional<Result<void>> answer;
    c.orchestrator->retryNow(c.endpoint.key(), id, [&](Result<void> r) { answer = r; });
    QTRY_VERIFY_WITH_TIMEOUT(answer.has_value(), 5000);
    QVERIFY2(bool(*answer), qPrintable(answer->error().message));
    QVERIFY(c.orchestrator->task(c.endpoint.key(), id)->requeuedByOperator);
    // A fresh allowance of 2: the operator's attempt, then one automatic retry, then stop again.
    QTRY_COMPARE_WITH_TIMEOUT(taskd.attempts(id).size(), 4, 15'000);
    QTRY_COMPARE_WITH_TIMEOUT(taskd.task(id).value(QStringLiteral("state")).toString(),
                              QStringLiteral("cancelled"), 15'000);
    const QJsonArray a = taskd.attempts(id);
    QCOMPARE(a[2].toObject().value(QStringLiteral("reason")).toString(),
             QStringLiteral("operator"));
    QCOMPARE(a[3].toObject().value(QStringLiteral("reason")).toString(), QStringLiteral("auto"));
    QCOMPARE(taskd.task(id).value(QStringLiteral("cancelReason")).toString(),
             QStringLiteral("exhausted"));
    // Once the console has seen the cancel it stands by it: no fifth attempt within half a
    // second (a wrong retry would come after the policy's 50 ms backoff).
    QTRY_VERIFY_WITH_TIMEOUT(
        c.orchestrator->task(c.endpoint.key(), id)->remote.state == RemoteState::Cancelled, 5000);
    QVERIFY(!QTest::qWaitFor([&] { return taskd.attempts(id).size() > 4; }, 500));
    QCOMPARE(taskd.attempts(id).size(), 4);
}

void TestAttempts::operatorAbortsARunningAttempt()
{
    TaskdProcess taskd;
    QVERIFY2(taskd.start(0, R"({"types":{"stuck.op":{"hang":1.0}}})"), qPrintable(taskd.error));
    OrchestratorFixture c(taskd.url, policyWith(3, 50, R"({"mode":"fixed","fixedMs":60000})"),
                          m_dir->path(), QStringLiteral("abort"));
    c.start();
    const QString id = taskd.createTask(QStringLiteral("stuck.op"));
    QTRY_VERIFY_WITH_TIMEOUT(c.orchestrator->task(c.endpoint.key(), id), 5000);
    QCOMPARE(c.orchestrator->whyNotAbort(c.endpoint.key(), id), QString());
    QVERIFY(c.orchestrator->attemptTimeoutAt(c.endpoint.key(), id).has_value());
    std::optional<Result<void>> answer;
    c.orchestrator->abortAttempt(c.endpoint.key(), id, [&](Result<void> r) { answer = r; });
    QTRY_VERIFY_WITH_TIMEOUT(answer.has_value(), 5000);
    QVERIFY2(bool(*answer), qPrintable(answer->error().message));
    // Ended as a timeout, then retried by policy.
    QTRY_COMPARE_WITH_TIMEOUT(taskd.attempts(id).size(), 2, 10'000);
    const QJsonObject first = taskd.attempts(id)[0].toObject();
    QCOMPARE(first.value(QStringLiteral("outcome")).toString(), QStringLiteral("timeout"));
    QCOMPARE(
        first.value(QStringLiteral("problem")).toObject().value(QStringLiteral("type")).toString(),
        QStringLiteral("urn:rebound:problem:aborted"));
    QTRY_COMPARE_WITH_TIMEOUT(c.history->attempts(c.endpoint.key(), id).value(0).outcome,
                              QStringLiteral("timeout"), 5000);
    // Aborting an attempt that has already ended is refused, in words.
    const auto stale =
        ActionOutbox::make(c.endpoint.key(), c.orchestrator->task(c.endpoint.key(), id)->remote,
                           ActionKind::AbortOperator, 1);
    const auto r = taskd.post(QStringLiteral("/v1/tasks/%1/attempts/1/abort").arg(id), stale.body,
                              {{"If-Match", '"' + QByteArray::number(qint64(stale.ifMatch)) + '"'},
                               {"Idempotency-Key", "stale-abort"}});
    QCOMPARE(r.status, 409);
}

void TestAttempts::reboundctlAbortsAndRevives()
{
    TaskdProcess taskd;
    QVERIFY2(taskd.start(0, R"({"types":{"stuck.op":{"hang":1.0}}})"), qPrintable(taskd.error));
    const QString id = taskd.createTask(QStringLiteral("stuck.op"));
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("REBOUND_TOKEN"), QStringLiteral("test-token-123"));
    const auto ctl = [&](const QString &command) {
        return runProcess(QStringLiteral(REBOUNDCTL_PATH),
                          {command, id, QStringLiteral("--url"), taskd.url}, env);
    };
    const ProcessRun abort = ctl(QStringLiteral("abort"));
    QVERIFY2(abort.code == 0, qPrintable(abort.err));
    QCOMPARE(abort.out, QStringLiteral("%1: failed, attempt 1\n").arg(id));
    QCOMPARE(taskd.attempts(id)[0].toObject().value(QStringLiteral("outcome")).toString(),
             QStringLiteral("timeout"));
    // Nothing runs now: a second abort says so, in words, and changes nothing.
    const ProcessRun again = ctl(QStringLiteral("abort"));
    QCOMPARE(again.code, 1);
    QVERIFY2(again.err.contains(QStringLiteral("no attempt of this task is running")),
             qPrintable(again.err));
    // Cancelled, then brought back by an operator.
    QCOMPARE(ctl(QStringLiteral("cancel")).code, 0);
    QCOMPARE(taskd.task(id).value(QStringLiteral("state")).toString(), QStringLiteral("cancelled"));
    const ProcessRun revive = ctl(QStringLiteral("retry"));
    QVERIFY2(revive.code == 0, qPrintable(revive.err));
    QCOMPARE(revive.out, QStringLiteral("%1: running, attempt 2\n").arg(id));
    QCOMPARE(taskd.attempts(id)[1].toObject().value(QStringLiteral("reason")).toString(),
             QStringLiteral("operator"));
}

QTEST_GUILESS_MAIN(TestAttempts)
#include "tst_attempts.moc"
