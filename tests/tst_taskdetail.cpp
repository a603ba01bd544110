// The task detail's timeline (TaskDetailPane) on a fake transport: what the service reported
// for each attempt beside what the history holds, in the console's words.
#include "FakeTransport.h"
#include "ManualEngine.h"
#include "TaskDetailPane.h"
#include "engine/Orchestrator.h"
#include "history/HistoryStore.h"
#include "policy/PolicyStore.h"
#include "time/ManualClock.h"

#include <QLabel>
#include <QTableWidget>
#include <QTest>

using namespace rebound;

namespace {

const QByteArray kPolicy = R"({"version":1,"policies":[{"name":"p"}]})";

/// The engine's transport: a FakeTransport the test answers by hand, found through `fake`.
TransportFactory fakeTransport(FakeTransport *&fake)
{
    return [&fake](const EndpointConfig &c) -> std::unique_ptr<TaskTransport> {
        auto t = std::make_unique<FakeTransport>(c.key());
        fake = t.get();
        return t;
    };
}

} // namespace

class TestTaskDetail final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void deferralRechecksAreOneRow();
    void footerFollowsTheLatestAttempt();
};

void TestTaskDetail::deferralRechecksAreOneRow()
{
    FakeTransport *fake = nullptr;
    ManualEngine m(kPolicy, fakeTransport(fake));
    Orchestrator &orch = m.orchestrator();
    HistoryStore *history = &m.history();
    ManualClock &clock = m.clock;
    const QString endpoint = QStringLiteral("http://fake.test");
    EndpointConfig config;
    config.baseUrl = QUrl(endpoint);
    orch.addEndpoint(config);
    // Attempt 1 failed; its retry was held by an open breaker and decided again 6 times, then
    // held by the budget twice, then stopped.
    const std::int64_t t0 = clock.wallNowMs() - 60'000;
    const auto event = [&](const QString &to, const QString &cause, const QString &detail,
                           std::int64_t at) {
        history->queueLifecycle(LifecycleEvent{endpoint, QStringLiteral("t1"), 1,
                                               QStringLiteral("retry_scheduled"), to, cause, detail,
                                               t0 + at});
    };
    for (int i = 0; i < 6; ++i)
        event(QStringLiteral("deferred"), QStringLiteral("retry_deferred"),
              QStringLiteral("breaker_open"), 1000 + i * 5000);
    for (int i = 0; i < 2; ++i)
        event(QStringLiteral("deferred"), QStringLiteral("retry_deferred"),
              QStringLiteral("budget_exhausted"), 40'000 + i * 1000);
    event(QStringLiteral("exhausted"), QStringLiteral("retries_stopped"),
          QStringLiteral("deadline_exceeded"), 50'000);
    QVERIFY(history->flush());

    TaskDetailPane pane(orch);
    pane.showTask(endpoint, QStringLiteral("t1"));
    RemoteAttempt a;
    a.number = 1;
    a.reason = AttemptReason::Initial;
    a.startedAtMs = t0;
    a.endedAtMs = t0 + 200;
    a.durationMs = 200;
    a.outcome = AttemptOutcome::Failed;
    a.httpStatus = 503;
    fake->answer(
        QStringLiteral("/t1/attempts"), 200,
        QJsonDocument(QJsonObject{{QStringLiteral("attempts"), QJsonArray{TaskJson::toJson(a)}}})
            .toJson(QJsonDocument::Compact),
        "GET");
    auto *table = pane.findChild<QTableWidget *>(QStringLiteral("attemptTable"));
    QVERIFY(table);
    QStringList rows;
    for (int r = 0; r < table->rowCount(); ++r)
        rows << table->item(r, 1)->text() + u'|' + table->item(r, 5)->text();
    QCOMPARE(rows, (QStringList{QStringLiteral("initial|HTTP 503"),
                                QStringLiteral("retry deferred|breaker open (5 re-checks)"),
                                QStringLiteral("retry deferred|retry budget spent (1 re-check)"),
                                QStringLiteral("retries stopped|deadline exceeded"),
                                // the policy file opened after these events
                                QStringLiteral("policy change|applied by file")}));
}

void TestTaskDetail::footerFollowsTheLatestAttempt()
{
    // Attempt 1 was not retryable and retries stopped; an operator brought the task back and
    // attempt 2 succeeded. The footer must not go on saying retries stopped.
    FakeTransport *fake = nullptr;
    ManualEngine m(kPolicy, fakeTransport(fake));
    const QString endpoint = QStringLiteral("http://fake.test");
    EndpointConfig config;
    config.baseUrl = QUrl(endpoint);
    m.orchestrator().addEndpoint(config);
    const std::int64_t t0 = m.clock.wallNowMs() - 10'000;
    QJsonArray attempts;
    for (int n = 1; n <= 2; ++n) {
        RemoteAttempt a;
        a.number = n;
        a.reason = n == 1 ? AttemptReason::Initial : AttemptReason::Operator;
        a.startedAtMs = t0 + n * 1000;
        a.endedAtMs = a.startedAtMs + 100;
        a.durationMs = 100;
        a.outcome = n == 1 ? AttemptOutcome::Failed : AttemptOutcome::Succeeded;
        if (n == 1)
            a.httpStatus = 400;
        attempts << TaskJson::toJson(a);
        m.history().queueAttempt(
            AttemptFacts{endpoint, QStringLiteral("t1"), QStringLiteral("p"), a});
    }
    AttemptDecision stopped;
    stopped.endpoint = endpoint;
    stopped.taskId = QStringLiteral("t1");
    stopped.attempt = 1;
    stopped.stopReason = StopReason::NotRetryable;
    m.history().queueDecision(stopped);
    QVERIFY(m.history().flush());
    QCOMPARE(m.history().attempts(endpoint, QStringLiteral("t1")).first().stopReason,
             QStringLiteral("not_retryable"));
    TaskDetailPane pane(m.orchestrator());
    pane.showTask(endpoint, QStringLiteral("t1"));
    fake->answer(QStringLiteral("/t1/attempts"), 200,
                 QJsonDocument(QJsonObject{{QStringLiteral("attempts"), attempts}})
                     .toJson(QJsonDocument::Compact),
                 "GET");
    auto *footer = pane.findChild<QLabel *>(QStringLiteral("stopReasonLabel"));
    QVERIFY(footer);
    // (The answer was read: both attempts are listed, with the policy file's version.)
    auto *table = pane.findChild<QTableWidget *>(QStringLiteral("attemptTable"));
    QStringList numbers;
    for (int r = 0; r < table->rowCount(); ++r)
        numbers << table->item(r, 0)->text();
    QCOMPARE(numbers, (QStringList{QStringLiteral("1"), QStringLiteral("2"), QString()}));
    QCOMPARE(footer->text(), QString());
}

QTEST_MAIN(TestTaskDetail)
#include "tst_taskdetail.moc"
