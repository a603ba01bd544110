#include "TaskStateMachine.h"

#include <QTest>

using namespace rebound;

class TestTaskStateMachine final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void everyPair_data();
    void everyPair();
    void attemptCountsEntriesToRunning();
    void fullRetryLifecycle();
    void stateNamesRoundTrip();
};

namespace {
constexpr TaskState kAll[] = {TaskState::Pending,   TaskState::Running,  TaskState::Succeeded,
                              TaskState::Failed,    TaskState::TimedOut, TaskState::RetryScheduled,
                              TaskState::Cancelled, TaskState::Exhausted};

// The expected table, written out independently of the implementation's.
bool expectedAllowed(TaskState from, TaskState to)
{
    using S = TaskState;
    switch (from) {
    case S::Pending:
        return to == S::Running || to == S::Cancelled;
    case S::Running:
        return to == S::Succeeded || to == S::Failed || to == S::TimedOut || to == S::Cancelled;
    case S::Failed:
    case S::TimedOut:
        return to == S::RetryScheduled || to == S::Exhausted || to == S::Cancelled;
    case S::RetryScheduled:
        return to == S::Running || to == S::Exhausted || to == S::Cancelled;
    case S::Succeeded:
    case S::Cancelled:
    case S::Exhausted:
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
    TaskStateMachine m(static_cast<TaskState>(from), 3);
    QCOMPARE(TaskStateMachine::isAllowed(static_cast<TaskState>(from), static_cast<TaskState>(to)),
             allowed);
    const SteadyTime at = steadyFromMs(1234);
    const auto r = m.transition(static_cast<TaskState>(to), at, TransitionCause::AttemptFailed,
                                QStringLiteral("x"));
    QCOMPARE(r.ok(), allowed);
    if (allowed) {
        QCOMPARE(int(r->from), from);
        QCOMPARE(int(r->to), to);
        QCOMPARE(r->at, at);
        QCOMPARE(r->cause, TransitionCause::AttemptFailed);
        QCOMPARE(r->detail, QStringLiteral("x"));
        QCOMPARE(r->attempt, to == int(TaskState::Running) ? 4 : 3);
        QCOMPARE(int(m.state()), to);
    } else {
        QCOMPARE(r.error().code, QStringLiteral("invalid-transition"));
        QVERIFY(r.error().message.contains(toText(static_cast<TaskState>(from))));
        QVERIFY(r.error().message.contains(toText(static_cast<TaskState>(to))));
        QCOMPARE(int(m.state()), from); // untouched
        QCOMPARE(m.attempt(), 3);
    }
}

void TestTaskStateMachine::attemptCountsEntriesToRunning()
{
    TaskStateMachine m;
    QCOMPARE(m.attempt(), 0);
    QVERIFY(
        m.transition(TaskState::Running, steadyFromMs(0), TransitionCause::AttemptStarted).ok());
    QCOMPARE(m.attempt(), 1);
    QVERIFY(
        m.transition(TaskState::TimedOut, steadyFromMs(10), TransitionCause::AttemptTimedOut).ok());
    QVERIFY(
        m.transition(TaskState::RetryScheduled, steadyFromMs(10), TransitionCause::RetryScheduled)
            .ok());
    const auto e = m.transition(TaskState::Running, steadyFromMs(20), TransitionCause::RetryDue);
    QVERIFY(e.ok());
    QCOMPARE(e->attempt, 2);
}

void TestTaskStateMachine::fullRetryLifecycle()
{
    TaskStateMachine m;
    const TaskState path[] = {TaskState::Running, TaskState::Failed, TaskState::RetryScheduled,
                              TaskState::Running, TaskState::Failed, TaskState::Exhausted};
    for (TaskState s : path)
        QVERIFY(m.transition(s, steadyFromMs(0), TransitionCause::AttemptStarted).ok());
    QVERIFY(isTerminal(m.state()));
    QCOMPARE(m.attempt(), 2);
    QVERIFY(
        !m.transition(TaskState::Running, steadyFromMs(0), TransitionCause::OperatorRetry).ok());
}

void TestTaskStateMachine::stateNamesRoundTrip()
{
    for (TaskState s : kAll)
        QCOMPARE(taskStateFromString(toText(s)), std::optional<TaskState>(s));
    QCOMPARE(taskStateFromString(QStringLiteral("bogus")), std::nullopt);
}

QTEST_APPLESS_MAIN(TestTaskStateMachine)
#include "tst_taskstatemachine.moc"
