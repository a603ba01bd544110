#include "engine/TaskStateMachine.h"

#include <QTest>

using namespace rebound;

class TestTaskStateMachine final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void everyPair_data();
    void everyPair();
    void retryLifecycleWithDeferral();
    void deadTaskComesBackOnlyThroughAnAttempt();
    void namesRoundTrip();
    void attentionOrder();
};

namespace {
constexpr TaskState kAll[] = {TaskState::Pending,        TaskState::Running,
                              TaskState::Succeeded,      TaskState::Failed,
                              TaskState::TimedOut,       TaskState::RetryScheduled,
                              TaskState::Deferred,       TaskState::Cancelled,
                              TaskState::Exhausted};

// The expected table, written out independently of the implementation's.
bool expectedAllowed(TaskState from, TaskState to)
{
    using S = TaskState;
    const bool attempt =
        to == S::Running || to == S::Succeeded || to == S::Failed || to == S::TimedOut;
    switch (from) {
    case S::Pending:
    case S::Running:
        return attempt || to == S::Cancelled;
    case S::Failed:
    case S::TimedOut:
        return attempt || to == S::RetryScheduled || to == S::Deferred || to == S::Exhausted ||
               to == S::Cancelled;
    case S::RetryScheduled:
        return attempt || to == S::Deferred || to == S::Exhausted || to == S::Cancelled;
    case S::Deferred:
        return attempt || to == S::RetryScheduled || to == S::Deferred || to == S::Exhausted ||
               to == S::Cancelled;
    case S::Exhausted:
        return attempt || to == S::Cancelled;
    case S::Cancelled:
        return attempt;
    case S::Succeeded:
        return false;
    }
    return false;
}
} // namespace

void TestTaskStateMachine::everyPair_data()
{
    QTest::addColumn<int>("from");
    QTest::addColumn<int>("to");
    QTest::addColumn<bool>("allowed");
    for (TaskState f : kAll) {
        for (TaskState t : kAll) {
            QTest::addRow("%s->%s", qPrintable(toText(f)), qPrintable(toText(t)))
                << int(f) << int(t) << expectedAllowed(f, t);
        }
    }
}

void TestTaskStateMachine::everyPair()
{
    QFETCH(int, from);
    QFETCH(int, to);
    QFETCH(bool, allowed);
    TaskStateMachine m(static_cast<TaskState>(from));
    QCOMPARE(TaskStateMachine::isAllowed(static_cast<TaskState>(from), static_cast<TaskState>(to)),
             allowed);
    const SteadyTime at = steadyFromMs(1234);
    const auto r = m.transition(static_cast<TaskState>(to), at, 3, TransitionCause::AttemptFailed,
                                QStringLiteral("x"));
    QCOMPARE(r.ok(), allowed);
    if (allowed) {
        QCOMPARE(int(r->from), from);
        QCOMPARE(int(r->to), to);
        QCOMPARE(r->at, at);
        QCOMPARE(r->attempt, 3);
        QCOMPARE(r->cause, TransitionCause::AttemptFailed);
        QCOMPARE(r->detail, QStringLiteral("x"));
        QCOMPARE(int(m.state()), to);
    } else {
        QCOMPARE(r.error().code, QStringLiteral("invalid-transition"));
        QVERIFY(r.error().message.contains(toText(static_cast<TaskState>(from))));
        QVERIFY(r.error().message.contains(toText(static_cast<TaskState>(to))));
        QCOMPARE(int(m.state()), from); // untouched
    }
}

void TestTaskStateMachine::retryLifecycleWithDeferral()
{
    TaskStateMachine m;
    const std::pair<TaskState, TransitionCause> path[] = {
        {TaskState::Running, TransitionCause::AttemptStarted},
        {TaskState::TimedOut, TransitionCause::AttemptTimedOut},
        {TaskState::Deferred, TransitionCause::RetryDeferred},
        {TaskState::RetryScheduled, TransitionCause::RetryScheduled},
        {TaskState::Running, TransitionCause::RetryDue},
        {TaskState::Failed, TransitionCause::AttemptFailed},
        {TaskState::Exhausted, TransitionCause::RetriesStopped}};
    int attempt = 0;
    for (const auto &[s, cause] : path) {
        if (s == TaskState::Running)
            ++attempt;
        const auto e = m.transition(s, steadyFromMs(attempt * 10), attempt, cause);
        QVERIFY2(e.ok(), qPrintable(toText(s)));
        QCOMPARE(e->attempt, attempt);
    }
    QVERIFY(isTerminal(m.state()));
    // A decision never comes without a failure to decide on.
    QVERIFY(!m.transition(TaskState::RetryScheduled, steadyFromMs(99), 2,
                          TransitionCause::RetryScheduled)
                 .ok());
}

void TestTaskStateMachine::deadTaskComesBackOnlyThroughAnAttempt()
{
    for (TaskState dead : {TaskState::Exhausted, TaskState::Cancelled}) {
        TaskStateMachine m(dead);
        QVERIFY(!m.transition(TaskState::Deferred, steadyFromMs(0), 5,
                              TransitionCause::RetryDeferred)
                     .ok());
        QVERIFY(!m.transition(TaskState::Pending, steadyFromMs(0), 5,
                              TransitionCause::OperatorRequeue)
                     .ok());
        const auto e = m.transition(TaskState::Running, steadyFromMs(0), 6,
                                    TransitionCause::OperatorRequeue);
        QVERIFY(e.ok());
        QCOMPARE(e->cause, TransitionCause::OperatorRequeue);
    }
    TaskStateMachine done(TaskState::Succeeded);
    QVERIFY(!done.transition(TaskState::Running, steadyFromMs(0), 2, TransitionCause::SomeoneElse)
                 .ok());
}

void TestTaskStateMachine::namesRoundTrip()
{
    for (TaskState s : kAll)
        QCOMPARE(taskStateFromString(toText(s)), std::optional<TaskState>(s));
    QCOMPARE(taskStateFromString(QStringLiteral("bogus")), std::nullopt);
    QCOMPARE(toText(TransitionCause::SomeoneElse), QStringLiteral("someone_else"));
    QCOMPARE(toText(TransitionCause::OperatorRequeue), QStringLiteral("operator_requeue"));
}

void TestTaskStateMachine::attentionOrder()
{
    const TaskState order[] = {TaskState::Exhausted,      TaskState::TimedOut,
                               TaskState::Failed,         TaskState::Deferred,
                               TaskState::RetryScheduled, TaskState::Running,
                               TaskState::Pending,        TaskState::Cancelled,
                               TaskState::Succeeded};
    for (std::size_t i = 1; i < std::size(order); ++i)
        QVERIFY(attentionRank(order[i - 1]) < attentionRank(order[i]));
}

QTEST_APPLESS_MAIN(TestTaskStateMachine)
#include "tst_taskstatemachine.moc"
