// The task table's model and proxy over a real engine fed by ingest() on a manual clock: no
// server, no real time. The proxy is checked against a reference written here independently
// (filter and order computed from the tasks themselves) after every batch of changes.
#include "ManualEngine.h"
#include "TaskFilterProxy.h"
#include "TaskTableModel.h"
#include "engine/Orchestrator.h"
#include "engine/SharedDecision.h"
#include "history/HistoryStore.h"
#include "policy/PolicyStore.h"
#include "time/ManualClock.h"

#include <QAbstractItemModelTester>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QTest>

#include <algorithm>

using namespace rebound;

namespace {

const QString kEndpoint = QStringLiteral("http://table.test");

// Three attempts; a failure is retried after 10 s (the clock never gets there).
const QByteArray kPolicy =
    R"({"version":1,"policies":[{"name":"p","backoff":{"initialDelayMs":10000,"maxDelayMs":10000,)"
    R"("maxAttempts":3,"jitter":"none"},"breaker":{"windowSize":100000,"minimumNumberOfCalls":100000},)"
    R"("health":{"unhealthyScore":100},"budget":{"budgetPercent":0,"maxTokens":0,"ratePerSecond":0}}]})";

} // namespace

class TestTaskTable final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void proxyMatchesReferenceAfterEveryBatch_data();
    void proxyMatchesReferenceAfterEveryBatch();
    void filteredViewFollowsStateChanges();
    void persistentIndexFollowsItsTask();
    void stateCountsFollowEveryBatch();
    void endingsHaveTheirOwnBadges();
    void fleetRowsSayWhoDecides();
    void nextAttemptFollowsAQuietReschedule();
    void exactSearch_data();
    void exactSearch();
    void updatedWithinATimeRange();

private:
    RemoteTask task(int i, RemoteState state, int attempt, int version, std::int64_t updatedAt,
                    AttemptOutcome outcome = AttemptOutcome::Running, int status = 503);
    /// What the proxy shows, as task ids in proxy order.
    QStringList shown() const;

    /// The engine's change batch, due now on the manual clock.
    void deliverBatch() { m_engine->clock.advance(Duration(0)); }
    std::unique_ptr<ManualEngine> m_engine;
    Orchestrator *m_orch = nullptr;
    std::unique_ptr<TaskTableModel> m_model;
    std::unique_ptr<TaskFilterProxy> m_proxy;
    std::unique_ptr<QAbstractItemModelTester> m_modelTester, m_proxyTester;
};

void TestTaskTable::init()
{
    Q_INIT_RESOURCE(ui);
    m_engine = std::make_unique<ManualEngine>(kPolicy);
    m_orch = &m_engine->orchestrator();
    m_model = std::make_unique<TaskTableModel>(*m_orch, m_engine->clock);
    m_proxy = std::make_unique<TaskFilterProxy>();
    m_proxy->setSourceModel(m_model.get());
    m_modelTester = std::make_unique<QAbstractItemModelTester>(
        m_model.get(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    m_proxyTester = std::make_unique<QAbstractItemModelTester>(
        m_proxy.get(), QAbstractItemModelTester::FailureReportingMode::QtTest);
}

void TestTaskTable::cleanup()
{
    m_proxyTester.reset();
    m_modelTester.reset();
    m_proxy.reset();
    m_model.reset();
    m_orch = nullptr;
    m_engine.reset();
}

RemoteTask TestTaskTable::task(int i, RemoteState state, int attempt, int version,
                               std::int64_t updatedAt, AttemptOutcome outcome, int status)
{
    RemoteTask t;
    t.id = QStringLiteral("t%1").arg(i, 3, 10, QLatin1Char('0'));
    t.type = i % 3 == 0 ? QStringLiteral("pdf.render") : QStringLiteral("sms.send");
    t.state = state;
    t.attempt = attempt;
    t.version = version;
    t.createdAtMs = 1'767'225'600'000;
    t.updatedAtMs = 1'767'225'600'000 + updatedAt;
    if (attempt > 0) {
        RemoteAttempt a;
        a.number = attempt;
        a.startedAtMs = t.updatedAtMs - 10;
        a.outcome = outcome;
        a.reason = attempt == 1 ? AttemptReason::Initial : AttemptReason::Auto;
        if (outcome != AttemptOutcome::Running) {
            a.endedAtMs = t.updatedAtMs;
            a.durationMs = 10;
        }
        if (outcome == AttemptOutcome::Failed)
            a.httpStatus = status;
        t.lastAttempt = a;
    }
    return t;
}

QStringList TestTaskTable::shown() const
{
    QStringList ids;
    for (int r = 0; r < m_proxy->rowCount(); ++r)
        ids << m_proxy->index(r, TaskTableModel::Id).data().toString();
    return ids;
}

void TestTaskTable::proxyMatchesReferenceAfterEveryBatch_data()
{
    QTest::addColumn<int>("column");
    QTest::addColumn<bool>("descending");
    QTest::addColumn<QString>("text");
    QTest::addColumn<quint32>("states");
    const auto running = TaskFilterProxy::bit(TaskState::Running);
    const auto succeeded = TaskFilterProxy::bit(TaskState::Succeeded);
    QTest::newRow("state, no filter") << int(TaskTableModel::State) << false << QString() << 0u;
    QTest::newRow("state desc, text")
        << int(TaskTableModel::State) << true << QStringLiteral("1") << 0u;
    QTest::newRow("id, running") << int(TaskTableModel::Id) << false << QString() << running;
    QTest::newRow("id desc, pdf") << int(TaskTableModel::Id) << true << QStringLiteral("PDF") << 0u;
    QTest::newRow("updated, running or succeeded")
        << int(TaskTableModel::Updated) << false << QString() << (running | succeeded);
    QTest::newRow("attempt desc, text and state")
        << int(TaskTableModel::Attempt) << true << QStringLiteral("sms") << running;
    QTest::newRow("unsorted") << -1 << false << QStringLiteral("t0") << 0u;
}

void TestTaskTable::proxyMatchesReferenceAfterEveryBatch()
{
    QFETCH(int, column);
    QFETCH(bool, descending);
    QFETCH(QString, text);
    QFETCH(quint32, states);
    m_proxy->sort(column, descending ? Qt::DescendingOrder : Qt::AscendingOrder);
    m_proxy->setText(text);
    m_proxy->setStates(states);

    // The reference: what each task is, kept here from what was fed.
    struct Fed
    {
        RemoteState state;
        int attempt;
        std::int64_t updated;
    };
    QHash<QString, Fed> fed;
    QRandomGenerator rng(42);
    int version = 1;
    int nextNew = 0;
    for (int batch = 0; batch < 60; ++batch) {
        QList<RemoteTask> tasks;
        // New tasks arrive in most batches; known ones get new attempts or succeed.
        for (int k = rng.bounded(0, 6); k > 0; --k) {
            const int i = nextNew++;
            const std::int64_t at = rng.bounded(0, 50); // equal times are common
            tasks << task(i, RemoteState::Running, 1, ++version, at);
            fed.insert(tasks.last().id, {RemoteState::Running, 1, at});
        }
        for (int k = rng.bounded(0, 12); k > 0 && nextNew > 0; --k) {
            const int i = rng.bounded(0, nextNew);
            const QString id = QStringLiteral("t%1").arg(i, 3, 10, QLatin1Char('0'));
            Fed &f = fed[id];
            if (f.state != RemoteState::Running ||
                std::any_of(tasks.cbegin(), tasks.cend(),
                            [&id](const RemoteTask &t) { return t.id == id; }))
                continue;
            const std::int64_t at = f.updated + rng.bounded(0, 30);
            if (rng.bounded(0, 4) == 0) {
                f = {RemoteState::Succeeded, f.attempt, at};
                tasks << task(i, RemoteState::Succeeded, f.attempt, ++version, at,
                              AttemptOutcome::Succeeded);
            } else {
                f = {RemoteState::Running, f.attempt + 1, at};
                tasks << task(i, RemoteState::Running, f.attempt, ++version, at);
            }
        }
        m_orch->ingest(kEndpoint, tasks);
        deliverBatch();
        m_proxy->settle();

        // Filter and order, computed from `fed` alone.
        QStringList expected;
        QHash<QString, int> sourceRow;
        for (int r = 0; r < m_model->rowCount(); ++r) {
            const QString id = m_model->index(r, TaskTableModel::Id).data().toString();
            sourceRow.insert(id, r);
            const Fed &f = fed[id];
            const TaskState s =
                f.state == RemoteState::Running ? TaskState::Running : TaskState::Succeeded;
            if (states && !(states & TaskFilterProxy::bit(s)))
                continue;
            const QString type = (id.mid(1).toInt() % 3 == 0) ? QStringLiteral("pdf.render")
                                                              : QStringLiteral("sms.send");
            if (!text.isEmpty() && !id.contains(text, Qt::CaseInsensitive) &&
                !type.contains(text, Qt::CaseInsensitive) &&
                !kEndpoint.contains(text, Qt::CaseInsensitive))
                continue;
            expected << id;
        }
        const auto rank = [](RemoteState s) { return s == RemoteState::Running ? 5 : 8; };
        std::sort(expected.begin(), expected.end(), [&](const QString &a, const QString &b) {
            const Fed &x = fed[a], &y = fed[b];
            int c = 0; // <0: a first (ascending)
            switch (column) {
            case TaskTableModel::State:
                c = rank(x.state) != rank(y.state) ? rank(x.state) - rank(y.state)
                    : x.updated != y.updated       ? (x.updated > y.updated ? -1 : 1)
                                                   : 0;
                break;
            case TaskTableModel::Id:
                c = a.compare(b);
                break;
            case TaskTableModel::Updated:
                c = x.updated == y.updated ? 0 : (x.updated < y.updated ? -1 : 1);
                break;
            case TaskTableModel::Attempt:
                c = x.attempt - y.attempt;
                break;
            default:
                break;
            }
            if (descending)
                c = -c;
            return c != 0 ? c < 0 : sourceRow[a] < sourceRow[b];
        });
        QCOMPARE(shown(), expected);
    }
    QVERIFY(nextNew > 100);
}

void TestTaskTable::filteredViewFollowsStateChanges()
{
    QList<RemoteTask> tasks;
    for (int i = 0; i < 10; ++i)
        tasks << task(i, RemoteState::Running, 1, 1, i);
    m_orch->ingest(kEndpoint, tasks);
    deliverBatch();
    m_proxy->setStates(TaskFilterProxy::bit(TaskState::Exhausted));
    QCOMPARE(m_proxy->rowCount(), 0);
    // t004's third attempt fails: out of attempts, it is exhausted — and shown, untouched.
    m_orch->ingest(kEndpoint, {task(4, RemoteState::Failed, 3, 2, 20, AttemptOutcome::Failed)});
    deliverBatch();
    m_proxy->settle();
    QCOMPARE(shown(), QStringList{QStringLiteral("t004")});
    QCOMPARE(m_proxy->index(0, TaskTableModel::State).data().toString(),
             QStringLiteral("exhausted"));
    // Brought back by someone else: it leaves the view again.
    m_orch->ingest(kEndpoint, {task(4, RemoteState::Running, 4, 3, 30)});
    deliverBatch();
    m_proxy->settle();
    QCOMPARE(m_proxy->rowCount(), 0);
}

void TestTaskTable::persistentIndexFollowsItsTask()
{
    m_proxy->sort(TaskTableModel::State, Qt::AscendingOrder);
    QList<RemoteTask> tasks;
    for (int i = 0; i < 20; ++i)
        tasks << task(i, RemoteState::Running, 1, 1, i);
    m_orch->ingest(kEndpoint, tasks);
    deliverBatch();
    m_proxy->settle();
    // Newest first: t019 is on top, t005 further down.
    QCOMPARE(m_proxy->index(0, TaskTableModel::Id).data().toString(), QStringLiteral("t019"));
    const int row = shown().indexOf(QStringLiteral("t005"));
    const QPersistentModelIndex held(m_proxy->index(row, TaskTableModel::Id));
    // Three tasks move to the top; the held row moves down by three and still names t005.
    m_orch->ingest(kEndpoint, {task(1, RemoteState::Running, 2, 2, 100),
                               task(2, RemoteState::Running, 2, 2, 101),
                               task(3, RemoteState::Running, 2, 2, 102)});
    deliverBatch();
    m_proxy->settle();
    QCOMPARE(shown().mid(0, 3),
             (QStringList{QStringLiteral("t003"), QStringLiteral("t002"), QStringLiteral("t001")}));
    QVERIFY(held.isValid());
    QCOMPARE(held.data().toString(), QStringLiteral("t005"));
    QCOMPARE(held.row(), row + 3);
    // Filtered out, the held index becomes invalid rather than naming another task.
    m_proxy->setText(QStringLiteral("t01"));
    QVERIFY(!held.isValid());
}

void TestTaskTable::stateCountsFollowEveryBatch()
{
    QList<RemoteTask> tasks;
    for (int i = 0; i < 9; ++i)
        tasks << task(i, RemoteState::Running, 1, 1, i);
    m_orch->ingest(kEndpoint, tasks);
    deliverBatch();
    QCOMPARE(m_model->stateCounts()[int(TaskState::Running)], 9);
    QCOMPARE(m_model->stateCounts(QStringLiteral("pdf.render"))[int(TaskState::Running)], 3);
    QSignalSpy counts(m_model.get(), &TaskTableModel::countsChanged);
    m_orch->ingest(kEndpoint, {task(0, RemoteState::Succeeded, 1, 2, 10, AttemptOutcome::Succeeded),
                               task(1, RemoteState::Failed, 1, 2, 10, AttemptOutcome::Failed),
                               task(3, RemoteState::Failed, 3, 2, 10, AttemptOutcome::Failed)});
    deliverBatch();
    QCOMPARE(counts.count(), 1);
    const StateCounts c = m_model->stateCounts();
    QCOMPARE(c[int(TaskState::Running)], 6);
    QCOMPARE(c[int(TaskState::Succeeded)], 1);
    QCOMPARE(c[int(TaskState::RetryScheduled)], 1);
    QCOMPARE(c[int(TaskState::Exhausted)], 1);
    const StateCounts pdf = m_model->stateCounts(QStringLiteral("pdf.render"));
    QCOMPARE(pdf[int(TaskState::Succeeded)], 1); // t000
    QCOMPARE(pdf[int(TaskState::Exhausted)], 1); // t003
    QCOMPARE(pdf[int(TaskState::Running)], 1);   // t006
}

void TestTaskTable::endingsHaveTheirOwnBadges()
{
    m_orch->ingest(kEndpoint, {task(0, RemoteState::Failed, 3, 1, 0, AttemptOutcome::Failed),
                               task(1, RemoteState::Failed, 1, 1, 0, AttemptOutcome::Failed, 400),
                               task(2, RemoteState::Running, 1, 1, 0)});
    deliverBatch();
    const auto cell = [this](int row, int role) {
        return m_model->index(row, TaskTableModel::State).data(role).toString();
    };
    QCOMPARE(cell(0, Qt::DisplayRole), QStringLiteral("exhausted"));
    QCOMPARE(cell(0, Qt::ToolTipRole), QStringLiteral("3 of 3 attempts used (policy p v1)"));
    QCOMPARE(cell(1, Qt::DisplayRole), QStringLiteral("not retryable"));
    QVERIFY2(cell(1, Qt::ToolTipRole)
                 .startsWith(QStringLiteral("The last error is not retryable: HTTP 400")),
             qPrintable(cell(1, Qt::ToolTipRole)));
    QCOMPARE(cell(2, Qt::DisplayRole), QStringLiteral("running"));
}

void TestTaskTable::fleetRowsSayWhoDecides()
{
    // Outside a fleet the Owner column is empty.
    m_orch->ingest(kEndpoint, {task(0, RemoteState::Failed, 1, 2, 0, AttemptOutcome::Failed),
                               task(1, RemoteState::Failed, 1, 2, 0, AttemptOutcome::Failed),
                               task(2, RemoteState::Failed, 1, 2, 0, AttemptOutcome::Failed)});
    deliverBatch();
    m_proxy->settle();
    const auto cell = [&](const QString &id, int column, int role = Qt::DisplayRole) {
        for (int r = 0; r < m_model->rowCount(); ++r)
            if (m_model->index(r, TaskTableModel::Id).data().toString() == id)
                return m_model->index(r, column).data(role).toString();
        return QStringLiteral("<no row>");
    };
    QCOMPARE(cell(QStringLiteral("t000"), TaskTableModel::Owner), QString());

    // A fleet where another member decides everything: t000 is watch-2's, t001's shard is
    // between owners (its last owner, watch-3, left), t002 is watch-2's and decided there.
    QString refusal;
    Orchestrator::Ownership o;
    o.fenceOf = [](const QString &, const QString &) { return std::optional<Fence>(); };
    o.ownerOf = [](const QString &, const QString &id) {
        return id == u"t001" ? QString() : QStringLiteral("watch-2");
    };
    o.member = QStringLiteral("console");
    o.refusal = [&refusal](const QString &) { return refusal; };
    m_orch->setOwnership(o);
    SharedDecision moving;
    moving.endpoint = kEndpoint;
    moving.taskId = QStringLiteral("t001");
    moving.member = QStringLiteral("watch-3");
    moving.attempt = 1;
    moving.dueWallMs = m_engine->clock.wallNowMs() + 4000;
    moving.decidedWallMs = m_engine->clock.wallNowMs();
    m_orch->adopt(moving);
    SharedDecision deferred = moving;
    deferred.taskId = QStringLiteral("t002");
    deferred.member = QStringLiteral("watch-2");
    deferred.kind = SharedDecision::Kind::Defer;
    deferred.deferReason = DeferReason::BreakerOpen;
    m_orch->adopt(deferred);
    deliverBatch();
    m_proxy->settle();
    QCOMPARE(cell(QStringLiteral("t000"), TaskTableModel::Owner), QStringLiteral("watch-2"));
    QCOMPARE(cell(QStringLiteral("t001"), TaskTableModel::Owner), QStringLiteral("— moving"));
    QCOMPARE(cell(QStringLiteral("t001"), TaskTableModel::NextRetry),
             QStringLiteral("owner watch-3 left; shard moving"));
    QVERIFY2(cell(QStringLiteral("t002"), TaskTableModel::NextRetry)
                 .startsWith(QLatin1String("waiting: breaker")),
             qPrintable(cell(QStringLiteral("t002"), TaskTableModel::NextRetry)));
    // The owner is matched by the text filter.
    m_proxy->setText(QStringLiteral("watch-2"));
    m_proxy->settle();
    QCOMPARE(shown(), (QStringList{QStringLiteral("t000"), QStringLiteral("t002")}));
    m_proxy->setText(QString());
    m_proxy->settle();

    // An endpoint the fleet spells differently: nobody here decides, and the row says so.
    refusal = QStringLiteral("not deciding for http://table.test: not every member watches it "
                             "under that spelling (watch-2 watches http://TABLE.test:80)");
    QCOMPARE(cell(QStringLiteral("t002"), TaskTableModel::NextRetry),
             QStringLiteral("not decided: endpoint refused"));
    QCOMPARE(cell(QStringLiteral("t002"), TaskTableModel::NextRetry, Qt::ToolTipRole), refusal);
    m_orch->setOwnership({});
}

void TestTaskTable::nextAttemptFollowsAQuietReschedule()
{
    // A read-only console moves a due retry 5 s on without the task changing: the row must
    // show the time it is now due, not "(now)" for ever.
    m_orch->ingest(kEndpoint, {task(1, RemoteState::Failed, 1, 2, 10, AttemptOutcome::Failed)});
    deliverBatch();
    const int row = m_model->rowOf(TaskRow::keyOf(kEndpoint, QStringLiteral("t001")));
    QVERIFY(row >= 0);
    const auto cell = [&] {
        return m_model->index(row, TaskTableModel::NextRetry).data().toString();
    };
    QVERIFY2(cell().contains(QLatin1String("(in 10 s)")), qPrintable(cell()));
    m_orch->setReadOnly(true);
    QSignalSpy rows(m_orch, &EngineView::rowsUpdated);
    m_engine->clock.advance(Duration(10'000)); // due: held 5 s, quietly
    deliverBatch();
    QCOMPARE(rows.count(), 0); // no row was sent: a copied due time would still say "(now)"
    QVERIFY2(cell().contains(QLatin1String("(in 5 s)")), qPrintable(cell()));
}

void TestTaskTable::exactSearch_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QStringList>("shown");
    // t002 … t027 … t270: "27" alone is a substring of several ids.
    QTest::newRow("substring") << QStringLiteral("27")
                               << QStringList{QStringLiteral("t027"), QStringLiteral("t270")};
    QTest::newRow("id:") << QStringLiteral("id:t027") << QStringList{QStringLiteral("t027")};
    QTest::newRow("id: an unknown id") << QStringLiteral("id:t02") << QStringList{};
    QTest::newRow("quoted id") << QStringLiteral("\"t270\"") << QStringList{QStringLiteral("t270")};
    QTest::newRow("quoted type") << QStringLiteral("\"pdf.render\"")
                                 << QStringList{QStringLiteral("t027"), QStringLiteral("t270")};
    QTest::newRow("quoted part of a type") << QStringLiteral("\"pdf\"") << QStringList{};
}

void TestTaskTable::exactSearch()
{
    QFETCH(QString, text);
    QFETCH(QStringList, shown);
    m_orch->ingest(kEndpoint, {task(27, RemoteState::Running, 1, 1, 1),
                               task(270, RemoteState::Running, 1, 1, 2),
                               task(2, RemoteState::Running, 1, 1, 3)});
    deliverBatch();
    m_proxy->setText(text);
    QStringList ids = this->shown();
    ids.sort();
    QCOMPARE(ids, shown);
}

void TestTaskTable::updatedWithinATimeRange()
{
    // updatedAt counts from the clock's start; the clock then moves 2 h on.
    m_orch->ingest(kEndpoint, {task(1, RemoteState::Running, 1, 1, 0),
                               task(2, RemoteState::Running, 1, 1, 100 * 60'000),
                               task(3, RemoteState::Running, 1, 1, 110 * 60'000)});
    deliverBatch();
    m_engine->clock.advance(Duration(120 * 60'000));
    const std::int64_t now = m_engine->clock.wallNowMs();
    m_proxy->setUpdatedSince(now - 15 * 60'000);
    QCOMPARE(shown(), QStringList{QStringLiteral("t003")});
    m_proxy->setUpdatedSince(now - 60 * 60'000);
    QStringList ids = shown();
    ids.sort();
    QCOMPARE(ids, (QStringList{QStringLiteral("t002"), QStringLiteral("t003")}));
    m_proxy->setUpdatedSince(std::nullopt);
    QCOMPARE(shown().size(), 3);
}

QTEST_MAIN(TestTaskTable)
#include "tst_tasktable.moc"
