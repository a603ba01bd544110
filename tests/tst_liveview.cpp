// The task table held still while an operator works in it: rows stay in place while the
// pointer is over them or the live view is paused (what a row shows and the counts still
// change), held changes are counted and applied, the row aimed at keeps its place on screen
// when the rows move, and a question about many tasks names them. A real engine fed by
// ingest() on a manual clock; widgets found by objectName.
#include "FilterBar.h"
#include "LiveViewControl.h"
#include "ManualEngine.h"
#include "TaskActions.h"
#include "TaskFilterProxy.h"
#include "TaskTableModel.h"
#include "TaskTableView.h"
#include "engine/Orchestrator.h"

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QLineEdit>
#include <QScrollBar>
#include <QSignalSpy>
#include <QTest>
#include <QToolButton>

using namespace rebound;

namespace {

const QString kEndpoint = QStringLiteral("http://live.test");
const QByteArray kPolicy =
    R"({"version":1,"policies":[{"name":"p","backoff":{"initialDelayMs":10000,"maxDelayMs":10000,)"
    R"("maxAttempts":3,"jitter":"none"},"breaker":{"windowSize":100000,"minimumNumberOfCalls":100000},)"
    R"("health":{"unhealthyScore":100},"budget":{"budgetPercent":0,"maxTokens":0,"ratePerSecond":0}}]})";

RemoteTask task(int i, RemoteState state, int version, std::int64_t updatedAtMs)
{
    RemoteTask t;
    t.id = QStringLiteral("t%1").arg(i, 3, 10, QLatin1Char('0'));
    t.type = QStringLiteral("job.x");
    t.state = state;
    t.attempt = state == RemoteState::Pending ? 0 : 1;
    t.version = version;
    t.createdAtMs = updatedAtMs;
    t.updatedAtMs = updatedAtMs;
    if (t.attempt > 0) {
        RemoteAttempt a;
        a.number = 1;
        a.startedAtMs = updatedAtMs - 10;
        a.outcome = state == RemoteState::Running     ? AttemptOutcome::Running
                    : state == RemoteState::Succeeded ? AttemptOutcome::Succeeded
                                                      : AttemptOutcome::Failed;
        if (a.outcome != AttemptOutcome::Running) {
            a.endedAtMs = updatedAtMs;
            a.durationMs = 10;
        }
        if (a.outcome == AttemptOutcome::Failed)
            a.httpStatus = 503;
        t.lastAttempt = a;
    }
    return t;
}

/// The pointer moves onto the rows, or leaves them.
void pointer(QWidget *viewport, bool onto)
{
    if (onto) {
        QTest::mouseMove(viewport, QPoint(20, 20));
        return;
    }
    QEvent leave(QEvent::Leave);
    QApplication::sendEvent(viewport, &leave);
}

} // namespace

class TestLiveView final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void rowsHoldWhileThePointerIsOverThem();
    void pausedViewHoldsWhileCountsMove();
    void theRowAimedAtKeepsItsPlaceOnScreen();
    void aLeavingRowDoesNotCarryTheViewAway();
    void atTheTopNewRowsAreShown();
    void questionsNameTheTasks();
    void editingKeysStayTheFilters();

private:
    /// Feeds tasks as a poll would, and lets the batch and the proxy's placing happen.
    void feed(const QList<RemoteTask> &tasks);
    int proxyRowOf(const QString &id) const;
    QString idAt(int proxyRow) const;

    std::unique_ptr<ManualEngine> m_engine;
    std::unique_ptr<TaskTableModel> m_model;
    std::unique_ptr<TaskFilterProxy> m_proxy;
    std::unique_ptr<QWidget> m_window;
    TaskTableView *m_table = nullptr;
    FilterBar *m_filters = nullptr;
    std::unique_ptr<QAbstractItemModelTester> m_tester;
};

void TestLiveView::init()
{
    Q_INIT_RESOURCE(ui);
    m_engine = std::make_unique<ManualEngine>(kPolicy);
    m_model = std::make_unique<TaskTableModel>(m_engine->orchestrator(), m_engine->clock);
    m_proxy = std::make_unique<TaskFilterProxy>();
    m_proxy->setSourceModel(m_model.get());
    m_tester = std::make_unique<QAbstractItemModelTester>(
        m_proxy.get(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    m_window = std::make_unique<QWidget>();
    m_table = new TaskTableView(m_proxy.get(), m_window.get());
    m_filters = new FilterBar(m_model.get(), m_proxy.get(), m_table, m_window.get());
    m_table->setGeometry(0, 40, 900, 300);
    m_window->resize(900, 360);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    // Sorted by Updated, newest first: a task that changes moves to the top.
    m_table->sortByColumn(TaskTableModel::Updated, Qt::DescendingOrder);
}

void TestLiveView::cleanup()
{
    m_window.reset();
    m_tester.reset();
    m_proxy.reset();
    m_model.reset();
    m_engine.reset();
}

void TestLiveView::feed(const QList<RemoteTask> &tasks)
{
    m_engine->orchestrator().ingest(kEndpoint, tasks);
    m_engine->clock.advance(Duration(0)); // the engine's batch
    m_proxy->settle();                    // what the proxy does a moment later
}

int TestLiveView::proxyRowOf(const QString &id) const
{
    for (int r = 0; r < m_proxy->rowCount(); ++r)
        if (idAt(r) == id)
            return r;
    return -1;
}

QString TestLiveView::idAt(int proxyRow) const
{
    return m_proxy->index(proxyRow, TaskTableModel::Id).data().toString();
}

void TestLiveView::rowsHoldWhileThePointerIsOverThem()
{
    const std::int64_t t0 = m_engine->clock.wallNowMs();
    QList<RemoteTask> tasks;
    for (int i = 0; i < 20; ++i)
        tasks << task(i, RemoteState::Running, 1, t0 - 1000 * i);
    feed(tasks);
    QCOMPARE(m_proxy->rowCount(), 20);
    const int before = proxyRowOf(QStringLiteral("t010"));
    QCOMPARE(before, 10);
    m_table->selectRow(before);
    auto *apply = m_window->findChild<QToolButton *>(QStringLiteral("applyHeldChanges"));
    QVERIFY(apply);
    QVERIFY(apply->isHidden());

    // A pointer resting where the window opened holds nothing; moving onto the rows does.
    QEvent enter(QEvent::Enter);
    QApplication::sendEvent(m_table->viewport(), &enter);
    QVERIFY(!m_proxy->isHeld());
    pointer(m_table->viewport(), true);
    QVERIFY(m_proxy->isHeld());
    // t010 succeeds (newest now: it would move to the top) and two new tasks arrive.
    feed({task(10, RemoteState::Succeeded, 2, t0 + 500), task(50, RemoteState::Running, 1, t0 + 1),
          task(51, RemoteState::Running, 1, t0 + 2)});
    QCOMPARE(m_proxy->rowCount(), 20);                // nothing arrived
    QCOMPARE(proxyRowOf(QStringLiteral("t010")), 10); // nothing moved
    QCOMPARE(m_table->currentIndex().row(), 10);
    // What the row shows is live.
    QCOMPARE(m_proxy->index(10, TaskTableModel::State).data(TaskTableModel::StateRole).toInt(),
             int(TaskState::Succeeded));
    QCOMPARE(m_proxy->heldChanges(), 3);
    QVERIFY(!apply->isHidden());
    QVERIFY2(apply->text().startsWith(QStringLiteral("3 held")), qPrintable(apply->text()));

    // The pointer leaves: everything is placed, the selection follows its task.
    pointer(m_table->viewport(), false);
    QVERIFY(!m_proxy->isHeld());
    QCOMPARE(m_proxy->rowCount(), 22);
    QCOMPARE(proxyRowOf(QStringLiteral("t010")), 0);
    QCOMPARE(idAt(m_table->currentIndex().row()), QStringLiteral("t010"));
    QVERIFY(apply->isHidden());
}

void TestLiveView::pausedViewHoldsWhileCountsMove()
{
    const std::int64_t t0 = m_engine->clock.wallNowMs();
    feed({task(1, RemoteState::Running, 1, t0), task(2, RemoteState::Running, 1, t0 - 1000)});
    auto *pause = m_window->findChild<QToolButton *>(QStringLiteral("pauseLiveView"));
    auto *running = m_window->findChild<QToolButton *>(QStringLiteral("stateCount.running"));
    auto *succeeded = m_window->findChild<QToolButton *>(QStringLiteral("stateCount.succeeded"));
    QVERIFY(pause && running && succeeded);
    QCOMPARE(running->text(), QStringLiteral("running 2"));
    pause->click();
    QVERIFY(m_proxy->isHeld());
    QCOMPARE(pause->text(), QStringLiteral("Resume live view"));
    feed({task(2, RemoteState::Succeeded, 2, t0 + 1000), task(3, RemoteState::Running, 1, t0)});
    // The counts follow every change; the rows wait.
    QCOMPARE(running->text(), QStringLiteral("running 2"));
    QCOMPARE(succeeded->text(), QStringLiteral("succeeded 1"));
    QCOMPARE(m_proxy->rowCount(), 2);
    QCOMPARE(idAt(0), QStringLiteral("t001"));
    // Applying places them and goes on holding.
    m_window->findChild<QToolButton *>(QStringLiteral("applyHeldChanges"))->click();
    QCOMPARE(m_proxy->rowCount(), 3);
    QCOMPARE(idAt(0), QStringLiteral("t002"));
    QVERIFY(m_proxy->isHeld());
    // Space in the table resumes.
    m_table->setFocus();
    QTest::keyClick(m_table, Qt::Key_Space);
    QVERIFY(!m_proxy->isHeld());
    QCOMPARE(pause->text(), QStringLiteral("Pause live view"));
}

void TestLiveView::theRowAimedAtKeepsItsPlaceOnScreen()
{
    const std::int64_t t0 = m_engine->clock.wallNowMs();
    QList<RemoteTask> tasks;
    for (int i = 0; i < 100; ++i)
        tasks << task(i, RemoteState::Running, 1, t0 - 1000 * i);
    feed(tasks);
    m_table->verticalScrollBar()->setValue(m_table->verticalScrollBar()->maximum() / 2);
    const QModelIndex aimed = m_table->indexAt(QPoint(10, 100));
    QVERIFY(aimed.isValid());
    const QString id = idAt(aimed.row());
    m_table->setCurrentIndex(aimed);
    const int y = m_table->visualRect(aimed).top();
    // Ten tasks change and move above it (newest first): without an anchor the row would be
    // pushed ten rows down the screen.
    QList<RemoteTask> changed;
    for (int i = 90; i < 100; ++i)
        changed << task(i, RemoteState::Succeeded, 2, t0 + i);
    feed(changed);
    const int row = proxyRowOf(id);
    QVERIFY(row > aimed.row());
    QCOMPARE(idAt(m_table->currentIndex().row()), id);
    QCOMPARE(m_table->visualRect(m_table->currentIndex()).top(), y);
}

void TestLiveView::aLeavingRowDoesNotCarryTheViewAway()
{
    const std::int64_t t0 = m_engine->clock.wallNowMs();
    QList<RemoteTask> tasks;
    for (int i = 0; i < 100; ++i)
        tasks << task(i, RemoteState::Running, 1, t0 - 1000 * i);
    feed(tasks);
    m_proxy->setStates(TaskFilterProxy::bit(TaskState::Running));
    QScrollBar *bar = m_table->verticalScrollBar();
    bar->setValue(bar->maximum() / 2);
    const int at = bar->value();
    const QModelIndex aimed = m_table->indexAt(QPoint(10, 100));
    m_table->setCurrentIndex(aimed);
    // The selected task succeeds: it leaves the "running" view (moved to the end, removed).
    feed({task(aimed.row(), RemoteState::Succeeded, 2, t0 + 1)});
    QCOMPARE(m_proxy->rowCount(), 99);
    QCOMPARE(bar->value(), at); // where the operator was, not the end of the list
}

void TestLiveView::atTheTopNewRowsAreShown()
{
    const std::int64_t t0 = m_engine->clock.wallNowMs();
    QList<RemoteTask> tasks;
    for (int i = 0; i < 50; ++i)
        tasks << task(i, RemoteState::Running, 1, t0 - 1000 * i);
    feed(tasks);
    QCOMPARE(m_table->verticalScrollBar()->value(), 0);
    feed({task(77, RemoteState::Running, 1, t0 + 5)}); // newest: sorts first
    QCOMPARE(m_table->verticalScrollBar()->value(), 0);
    QCOMPARE(idAt(m_table->indexAt(QPoint(10, 5)).row()), QStringLiteral("t077"));
}

void TestLiveView::questionsNameTheTasks()
{
    QList<TaskActions::Selected> few, many;
    for (int i = 1; i <= 3; ++i)
        few << TaskActions::Selected{kEndpoint, QStringLiteral("tsk-%1").arg(i), {}, {}};
    for (int i = 1; i <= 24; ++i)
        many << TaskActions::Selected{kEndpoint, QStringLiteral("tsk-%1").arg(i), {}, {}};
    QCOMPARE(TaskActions::idList(few), QStringLiteral("tsk-1, tsk-2, tsk-3"));
    QCOMPARE(TaskActions::idList(many),
             QStringLiteral("tsk-1, tsk-2, tsk-3, tsk-4, tsk-5, tsk-6, tsk-7, tsk-8, tsk-9, "
                            "tsk-10 and 14 more"));
}

void TestLiveView::editingKeysStayTheFilters()
{
    // The filter hands Ctrl+letter to the window's shortcuts (Ctrl+E export, which a line edit
    // under X11's key scheme takes as "end of line"), but not the editing keys.
    auto *text = m_window->findChild<QLineEdit *>(QStringLiteral("filterText"));
    QVERIFY(text);
    m_window->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(m_window.get()));
    text->setFocus();
    text->setText(QStringLiteral("abc"));
    QTest::keyClick(text, Qt::Key_A, Qt::ControlModifier);
    QCOMPARE(text->selectedText(), QStringLiteral("abc"));
    QTest::keyClick(text, Qt::Key_X, Qt::ControlModifier);
    QCOMPARE(text->text(), QString());
    QTest::keyClick(text, Qt::Key_Z, Qt::ControlModifier);
    QCOMPARE(text->text(), QStringLiteral("abc"));
}

QTEST_MAIN(TestLiveView)
#include "tst_liveview.moc"
