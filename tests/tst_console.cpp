// GUI tests: the real window, driven by objectName, against a real rebound-taskd.
#include "CredentialStore.h"
#include "DemoService.h"
#include "EndpointsDialog.h"
#include "ExportDialog.h"
#include "MainWindow.h"
#include "PolicyEditorDialog.h"
#include "StateBadgeDelegate.h"
#include "TaskFilterProxy.h"
#include "TaskTableModel.h"
#include "TaskdProcess.h"
#include "engine/Engine.h"
#include "support/Csv.h"

#include <QAbstractItemModelTester>
#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDir>
#include <QDirIterator>
#include <QDoubleSpinBox>
#include <QFileInfo>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMenu>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPointer>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QSslCertificate>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBrowser>
#include <QTimer>
#include <QToolButton>
#include <QTreeWidget>

using namespace rebound;

namespace {
const QByteArray kFailing =
    R"({"default":{"unavailable":1.0,"retryAfterProbability":0,"latencyMinMs":5,"latencyMaxMs":10}})";
QByteArray policy(int initialMs)
{
    return QStringLiteral(
               R"({"version":1,"policies":[{"name":"p","backoff":{"initialDelayMs":%1,"maxDelayMs":%1,"maxAttempts":8,"jitter":"none"}}]})")
        .arg(initialMs)
        .toUtf8();
}
} // namespace

class TestConsole final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void showsRowsAndModelsAreSound();
    void filterBar();
    void retryNowStartsAnAttempt();
    void cancelRetriesCancelsOnServer();
    void policyEditAppliesToNextDecision();
    void editorSwitchesBetweenPolicies();
    void editingOneFieldChangesOneLine();
    void invalidPolicyShowsErrorKeepsOld();
    void exportWritesCsv();
    void keychainRoundTrip();
    void demoStartsAndShowsRows();
    void untrustedCertificateShownThenTrusted();
    void forgetEndpointRemovesItsRows();
    void endpointsDialogKeepsTokenOutOfSettings();
    void filteredViewFollowsStateChanges();
    void deferralSaysWhatItWaitsFor_data();
    void deferralSaysWhatItWaitsFor();
    void endingsAreDistinctAndLogged();
    void actionsFollowStateChanges();
    void editorShowsFieldErrorAndHoldsApply();
    void exportDefaultsToAFolderThatExists();
    void attemptsPaneShowsPolicyChangesAndTakesTab();

private:
    void startConsole(const QByteArray &profile, const QByteArray &policyJson);
    /// Answers the next message box named `name` with `button` (it is modal: a timer does it),
    /// keeping its detailed text in `*details`.
    void answerMessageBox(const QString &name, QMessageBox::StandardButton button,
                          QString *details = nullptr);
    int rowOf(const QString &id) const;
    void select(const QString &id);

    QTemporaryDir m_configDir;
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<TaskdProcess> m_taskd;
    std::unique_ptr<Engine> m_console;
    std::unique_ptr<MainWindow> m_window;
    std::unique_ptr<QAbstractItemModelTester> m_modelTester;
    std::unique_ptr<QAbstractItemModelTester> m_proxyTester;
};

void TestConsole::init()
{
    Q_INIT_RESOURCE(ui);
    m_dir = std::make_unique<QTemporaryDir>();
}

void TestConsole::initTestCase()
{
    // QSettings fixes its directory on first use: one sandbox for the whole suite, removed at
    // the end, so no test writes settings outside it.
    qputenv("XDG_CONFIG_HOME", m_configDir.path().toUtf8());
}

void TestConsole::cleanup()
{
    m_proxyTester.reset();
    m_modelTester.reset();
    m_window.reset();
    m_console.reset();
    m_taskd.reset();
}

void TestConsole::startConsole(const QByteArray &profile, const QByteArray &policyJson)
{
    m_taskd = std::make_unique<TaskdProcess>();
    QVERIFY(m_taskd->start(0, profile));
    auto c = Engine::open({m_dir->filePath(QStringLiteral("policies.json")), policyJson,
                           m_dir->filePath(QStringLiteral("history.sqlite"))});
    QVERIFY(c.ok());
    m_console = std::move(c).value();
    m_window = std::make_unique<MainWindow>(m_console->access(), QStringLiteral("test"));
    m_window->setConfirmBulkActions(false);
    // Testers first, then changes (qtbase's advice).
    m_modelTester = std::make_unique<QAbstractItemModelTester>(
        m_window->model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    m_proxyTester = std::make_unique<QAbstractItemModelTester>(
        m_window->proxy(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    EndpointConfig e;
    e.baseUrl = QUrl(m_taskd->url);
    e.token = "test-token-123";
    m_console->orchestrator->addEndpoint(e);
    m_console->orchestrator->poller(e.key())->setIntervals(Duration(100), Duration(300));
}

void TestConsole::answerMessageBox(const QString &name, QMessageBox::StandardButton button,
                                   QString *details)
{
    auto *poll = new QTimer(this);
    connect(poll, &QTimer::timeout, this, [poll, name, button, details] {
        auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget());
        if (!box || box->objectName() != name)
            return;
        if (details)
            *details = box->detailedText();
        box->button(button)->click();
        poll->deleteLater();
    });
    poll->start(20);
}

int TestConsole::rowOf(const QString &id) const
{
    const QAbstractItemModel *m = m_window->proxy();
    for (int r = 0; r < m->rowCount(); ++r)
        if (m->index(r, TaskTableModel::Id).data().toString() == id)
            return r;
    return -1;
}

void TestConsole::select(const QString &id)
{
    auto *table = m_window->findChild<QTableView *>(QStringLiteral("taskTable"));
    QVERIFY(table);
    QTRY_VERIFY_WITH_TIMEOUT(rowOf(id) >= 0, 10'000);
    table->selectionModel()->clearSelection();
    table->selectRow(rowOf(id));
}

void TestConsole::showsRowsAndModelsAreSound()
{
    startConsole(kFailing, policy(60'000));
    QVERIFY(m_window->windowTitle().startsWith(QStringLiteral("Rebound")));
    for (int i = 0; i < 12; ++i)
        m_taskd->createTask(i % 2 ? QStringLiteral("sms.send") : QStringLiteral("pdf.render"));
    QTRY_COMPARE_WITH_TIMEOUT(m_window->model()->rowCount(), 12, 10'000);
    QTRY_COMPARE_WITH_TIMEOUT(m_window->model()->index(0, TaskTableModel::State).data().toString(),
                              QStringLiteral("retry scheduled"), 10'000);
    // The time of the next attempt, and how far off it is.
    QVERIFY(m_window->model()
                ->index(0, TaskTableModel::NextRetry)
                .data()
                .toString()
                .contains(QStringLiteral("(in ")));
    QVERIFY(m_window->model()
                ->index(0, TaskTableModel::LastError)
                .data()
                .toString()
                .contains(QStringLiteral("503")));
    // Updates came as batches, not one signal per task.
    QVERIFY(m_window->model()->dataChangedSignals() < 40);
    auto *status = m_window->findChild<QLabel *>(QStringLiteral("endpointStatus"));
    QVERIFY(status);
    QTRY_VERIFY(status->text().contains(QStringLiteral("connected")));
    // taskd offers /v1/watch: the status bar names push as the live transport.
    QTRY_VERIFY_WITH_TIMEOUT(status->text().contains(QStringLiteral("live (push)")), 10'000);
}

void TestConsole::filterBar()
{
    startConsole(kFailing, policy(60'000));
    for (int i = 0; i < 6; ++i)
        m_taskd->createTask(i % 3 ? QStringLiteral("sms.send") : QStringLiteral("pdf.render"));
    QTRY_COMPARE_WITH_TIMEOUT(m_window->proxy()->rowCount(), 6, 10'000);
    auto *text = m_window->findChild<QLineEdit *>(QStringLiteral("filterText"));
    QVERIFY(text);
    QTest::keyClicks(text, QStringLiteral("pdf"));
    QCOMPARE(m_window->proxy()->rowCount(), 2);
    text->clear();
    QCOMPARE(m_window->proxy()->rowCount(), 6);
    // The state counts are the state filter: one click shows one state, a second shows all.
    auto *exhausted = m_window->findChild<QToolButton *>(QStringLiteral("stateCount.exhausted"));
    QVERIFY(exhausted);
    exhausted->click();
    QCOMPARE(m_window->proxy()->rowCount(), 0);
    QVERIFY(exhausted->isChecked());
    exhausted->click();
    QCOMPARE(m_window->proxy()->rowCount(), 6);
    auto *retrying =
        m_window->findChild<QToolButton *>(QStringLiteral("stateCount.retry_scheduled"));
    QTRY_COMPARE(retrying->text(), QStringLiteral("retry scheduled 6"));
    retrying->click();
    QTRY_COMPARE(m_window->proxy()->rowCount(), 6);
    m_window->findChild<QToolButton *>(QStringLiteral("stateCount.all"))->click();
    QVERIFY(!retrying->isChecked());
    // Ctrl+F puts the cursor in the filter.
    m_window->activateWindow();
    QTest::keyClick(m_window.get(), Qt::Key_F, Qt::ControlModifier);
    QTRY_VERIFY(text->hasFocus());
}

void TestConsole::retryNowStartsAnAttempt()
{
    startConsole(kFailing, policy(600'000));
    const QString id = m_taskd->createTask(QStringLiteral("sms.send"));
    QTRY_COMPARE_WITH_TIMEOUT(m_window->model()->rowCount(), 1, 10'000);
    QTRY_COMPARE_WITH_TIMEOUT(m_window->model()->index(0, TaskTableModel::State).data().toString(),
                              QStringLiteral("retry scheduled"), 10'000);
    auto *retry = m_window->findChild<QAction *>(QStringLiteral("retryNowAction"));
    QVERIFY(retry);
    QVERIFY(!retry->isEnabled()); // nothing selected yet
    select(id);
    QTRY_VERIFY(retry->isEnabled());
    // What is not possible says why: the attempt has ended, nothing to abort.
    auto *abort = m_window->findChild<QAction *>(QStringLiteral("abortAttemptAction"));
    QVERIFY(abort && !abort->isEnabled());
    QVERIFY2(abort->toolTip().contains(QStringLiteral("No attempt of this task is running.")),
             qPrintable(abort->toolTip()));
    retry->trigger();
    QTRY_COMPARE_WITH_TIMEOUT(m_taskd->attempts(id).size(), 2, 10'000);
    QCOMPARE(m_taskd->attempts(id)[1].toObject().value(QStringLiteral("reason")).toString(),
             QStringLiteral("operator"));
    // Read-only disables every action.
    auto *readOnly = m_window->findChild<QAction *>(QStringLiteral("readOnlyAction"));
    readOnly->setChecked(true);
    QVERIFY(!retry->isEnabled());
    QVERIFY(m_window->findChild<QLabel *>(QStringLiteral("readOnlyBadge"))->isVisible());
}

void TestConsole::cancelRetriesCancelsOnServer()
{
    startConsole(kFailing, policy(600'000));
    const QString id = m_taskd->createTask(QStringLiteral("sms.send"));
    QTRY_COMPARE_WITH_TIMEOUT(m_window->model()->index(0, TaskTableModel::State).data().toString(),
                              QStringLiteral("retry scheduled"), 10'000);
    select(id);
    auto *cancel = m_window->findChild<QAction *>(QStringLiteral("cancelRetriesAction"));
    QTRY_VERIFY(cancel->isEnabled());
    cancel->trigger();
    QTRY_COMPARE_WITH_TIMEOUT(m_taskd->task(id).value(QStringLiteral("state")).toString(),
                              QStringLiteral("cancelled"), 10'000);
    QCOMPARE(m_taskd->task(id).value(QStringLiteral("cancelReason")).toString(),
             QStringLiteral("operator"));
    QTRY_COMPARE_WITH_TIMEOUT(m_window->model()->index(0, TaskTableModel::State).data().toString(),
                              QStringLiteral("cancelled"), 10'000);
}

void TestConsole::policyEditAppliesToNextDecision()
{
    startConsole(kFailing, policy(60'000));
    PolicyEditorDialog editor(m_console->policies, m_window.get());
    editor.show();
    auto *initial = editor.findChild<QDoubleSpinBox *>(QStringLiteral("backoff.initialDelayMs"));
    auto *cap = editor.findChild<QDoubleSpinBox *>(QStringLiteral("backoff.maxDelayMs"));
    QVERIFY(initial && cap);
    QCOMPARE(initial->value(), 60'000.0);
    cap->setValue(123'000);
    initial->setValue(123'000);
    QVERIFY(editor.findChild<QPlainTextEdit *>(QStringLiteral("policyJson"))
                ->toPlainText()
                .contains(QStringLiteral("123000")));
    // Apply shows the diff and asks first.
    QString shownDiff;
    answerMessageBox(QStringLiteral("applyConfirm"), QMessageBox::Apply, &shownDiff);
    editor.findChild<QPushButton *>(QStringLiteral("applyPolicyButton"))->click();
    QVERIFY(shownDiff.contains(QStringLiteral("123000")));
    QCOMPARE(m_console->policies.history().size(), 2);
    QCOMPARE(m_console->policies.current()->policies.first().backoff.initialDelayMs, 123'000.0);
    // The next decision uses it: the scheduled retry is ~123 s away, not 60 s.
    const QString id = m_taskd->createTask(QStringLiteral("sms.send"));
    const QString key = QUrl(m_taskd->url).adjusted(QUrl::StripTrailingSlash).toString();
    QTRY_VERIFY_WITH_TIMEOUT(m_console->orchestrator->nextRetryAt(key, id).has_value(), 10'000);
    const auto inMs =
        toMs(*m_console->orchestrator->nextRetryAt(key, id) - m_console->clock.steadyNow());
    QVERIFY2(inMs > 100'000 && inMs <= 123'000, qPrintable(QString::number(inMs)));
    // The file on disk has the applied version.
    QFile f(m_console->policies.path());
    QVERIFY(f.open(QIODevice::ReadOnly));
    QVERIFY(f.readAll().contains("123000"));
}

void TestConsole::editorSwitchesBetweenPolicies()
{
    startConsole(
        kFailing,
        R"({"version":1,"policies":[{"name":"a","match":{"type":"a.*"},"backoff":{"initialDelayMs":111,"maxDelayMs":1000}},
                                                      {"name":"b","backoff":{"initialDelayMs":222,"maxDelayMs":1000}}]})");
    PolicyEditorDialog editor(m_console->policies, m_window.get());
    editor.show();
    auto *selector = editor.findChild<QComboBox *>(QStringLiteral("policySelector"));
    auto *initial = editor.findChild<QDoubleSpinBox *>(QStringLiteral("backoff.initialDelayMs"));
    QCOMPARE(selector->count(), 2);
    QCOMPARE(initial->value(), 111.0);
    selector->setCurrentIndex(1);
    QCOMPARE(initial->value(), 222.0);
    initial->setValue(333); // edits the selected policy only
    // The other sections have form rows too.
    auto *threshold =
        editor.findChild<QDoubleSpinBox *>(QStringLiteral("breaker.failureRateThreshold"));
    QVERIFY(threshold);
    threshold->setValue(35);
    auto *retryable = editor.findChild<QLineEdit *>(QStringLiteral("retryableStatusCodes"));
    QTest::keyClicks(retryable, QStringLiteral("409, 423"));
    QVERIFY(editor.apply());
    QCOMPARE(m_console->policies.current()->policies[0].backoff.initialDelayMs, 111.0);
    QCOMPARE(m_console->policies.current()->policies[1].backoff.initialDelayMs, 333.0);
    QCOMPARE(m_console->policies.current()->policies[1].breaker.failureRateThreshold, 35.0);
    QCOMPARE(m_console->policies.current()->policies[0].breaker.failureRateThreshold, 50.0);
    QCOMPARE(m_console->policies.current()->policies[1].classification.retryableStatusCodes,
             (QList<int>{409, 423}));
    // A bad code is named by the validation, not silently dropped.
    retryable->clear();
    QTest::keyClicks(retryable, QStringLiteral("40x"));
    QVERIFY(editor.findChild<QLabel *>(QStringLiteral("policyErrors"))
                ->text()
                .contains(QStringLiteral("policies[1].classification.retryableStatusCodes[0]")));
}

void TestConsole::editingOneFieldChangesOneLine()
{
    // A 30-day deadline (past what a 32-bit spin box holds) and formatting of the author's own.
    const QByteArray file = "{\n  \"version\": 1,\n  \"policies\": [\n    {\n"
                            "      \"name\": \"p\",\n      \"backoff\": {\n"
                            "        \"initialDelayMs\": 200,\n        \"multiplier\": 2.0,\n"
                            "        \"maxDelayMs\": 60000,\n"
                            "        \"totalDeadlineMs\": 2592000000\n      }\n    }\n  ]\n}\n";
    startConsole(kFailing, file);
    PolicyEditorDialog editor(m_console->policies, m_window.get());
    editor.show();
    auto *deadline = editor.findChild<QDoubleSpinBox *>(QStringLiteral("backoff.totalDeadlineMs"));
    QVERIFY(deadline);
    QCOMPARE(deadline->value(), 2'592'000'000.0);
    editor.findChild<QDoubleSpinBox *>(QStringLiteral("backoff.multiplier"))->setValue(3);
    QVERIFY(editor.apply());
    QCOMPARE(m_console->policies.current()->policies.first().backoff.totalDeadlineMs,
             2'592'000'000LL);
    QCOMPARE(m_console->policies.current()->policies.first().backoff.multiplier, 3.0);
    // The file differs from what it was by exactly the edited line.
    QFile f(m_console->policies.path());
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(f.readAll(), QByteArray(file).replace("\"multiplier\": 2.0", "\"multiplier\": 3"));
    // And History says so: one line out, one line in.
    auto *versions = editor.findChild<QListWidget *>(QStringLiteral("policyVersions"));
    QTRY_COMPARE(versions->count(), 2);
    versions->setCurrentRow(1);
    const QStringList diff = editor.findChild<QPlainTextEdit *>(QStringLiteral("policyDiff"))
                                 ->toPlainText()
                                 .split(u'\n', Qt::SkipEmptyParts)
                                 .mid(1);
    QCOMPARE(diff, QStringList({QStringLiteral("-         \"multiplier\": 2.0,"),
                                QStringLiteral("+         \"multiplier\": 3,")}));
}

void TestConsole::invalidPolicyShowsErrorKeepsOld()
{
    startConsole(kFailing, policy(60'000));
    PolicyEditorDialog editor(m_console->policies, m_window.get());
    editor.show();
    auto *json = editor.findChild<QPlainTextEdit *>(QStringLiteral("policyJson"));
    json->setPlainText(
        QStringLiteral(R"({"version":1,"policies":[{"name":"p","backoff":{"multiplier":0}}]})"));
    auto *errors = editor.findChild<QLabel *>(QStringLiteral("policyErrors"));
    QCOMPARE(
        errors->text(),
        QStringLiteral("policies[0].backoff.multiplier: must be ≥ 1")); // inline, before applying
    QVERIFY(!editor.apply());
    QVERIFY(errors->text().contains(QStringLiteral("policies[0].backoff.multiplier")));
    QCOMPARE(m_console->policies.history().size(), 1);
    QCOMPARE(m_console->policies.current()->policies.first().backoff.initialDelayMs, 60'000.0);
    // An invalid file written outside the console: error shown, last good kept.
    QFile f(m_console->policies.path());
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(R"({"version":1,"policies":[{"name":"p","backoff":{"maxAttempts":0}}]})");
    f.close();
    QTRY_VERIFY_WITH_TIMEOUT(
        errors->text().contains(QStringLiteral("policies[0].backoff.maxAttempts: must be ≥ 1")),
        5000);
    QCOMPARE(m_console->policies.current()->policies.first().backoff.initialDelayMs, 60'000.0);
}

void TestConsole::exportWritesCsv()
{
    startConsole(kFailing, policy(60'000));
    for (int i = 0; i < 5; ++i)
        m_taskd->createTask(QStringLiteral("=export,\"test\""));
    QTRY_COMPARE_WITH_TIMEOUT(m_console->history->attemptCount(), 5, 10'000);
    ExportDialog dialog(m_console->history->path(), {QStringLiteral("=export,\"test\"")}, {},
                        m_window.get());
    dialog.show();
    const QString out = m_dir->filePath(QStringLiteral("out.csv"));
    dialog.findChild<QLineEdit *>(QStringLiteral("exportFile"))->setText(out);
    QSignalSpy finished(&dialog, &ExportDialog::finished);
    dialog.findChild<QPushButton *>(QStringLiteral("exportButton"))->click();
    QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 10'000);
    QVERIFY2(finished.first().first().toBool(), qPrintable(finished.first().at(1).toString()));
    QFile f(out);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QList<QStringList> rows;
    QVERIFY(Csv::parse(f.readAll(), rows));
    QCOMPARE(rows.size(), 6);
    QCOMPARE(rows[0], HistoryStore::csvHeader());
    for (int i = 1; i < rows.size(); ++i)
        QCOMPARE(Csv::unneutralise(rows[i][2]), QStringLiteral("=export,\"test\""));
    QCOMPARE(dialog.findChild<QProgressBar *>(QStringLiteral("exportProgress"))->value(), 100);
}

void TestConsole::keychainRoundTrip()
{
    if (qEnvironmentVariableIsEmpty("DBUS_SESSION_BUS_ADDRESS"))
        QSKIP("needs a D-Bus session with an unlocked keyring: run through ./dev.sh test");
    CredentialStore store;
    bool done = false, ok = false;
    QByteArray token;
    store.write(QStringLiteral("http://127.0.0.1:1"), "s3cret-token",
                [&](bool o, const QByteArray &, const QString &) { ok = o, done = true; });
    QTRY_VERIFY_WITH_TIMEOUT(done, 10'000);
    QVERIFY(ok);
    done = false;
    store.read(
        QStringLiteral("http://127.0.0.1:1"),
        [&](bool o, const QByteArray &t, const QString &) { ok = o, token = t, done = true; });
    QTRY_VERIFY_WITH_TIMEOUT(done, 10'000);
    QVERIFY(ok);
    QCOMPARE(token, QByteArray("s3cret-token"));
    done = false;
    store.remove(QStringLiteral("http://127.0.0.1:1"),
                 [&](bool o, const QByteArray &, const QString &) { ok = o, done = true; });
    QTRY_VERIFY_WITH_TIMEOUT(done, 10'000);
    done = false;
    store.read(QStringLiteral("http://127.0.0.1:1"),
               [&](bool o, const QByteArray &, const QString &) { ok = o, done = true; });
    QTRY_VERIFY_WITH_TIMEOUT(done, 10'000);
    QVERIFY(!ok); // gone
}

void TestConsole::demoStartsAndShowsRows()
{
    taskd::DemoService demo(20);
    const auto url = demo.start();
    QVERIFY(url.ok());
    QFile defaults(QStringLiteral(":/rebound/default-policies.json"));
    QVERIFY(defaults.open(QIODevice::ReadOnly));
    auto c = Engine::open({m_dir->filePath(QStringLiteral("demo-policies.json")),
                           defaults.readAll(), m_dir->filePath(QStringLiteral("demo.sqlite"))});
    QVERIFY(c.ok());
    m_console = std::move(c).value();
    m_window = std::make_unique<MainWindow>(m_console->access(), QStringLiteral("demo"));
    m_modelTester = std::make_unique<QAbstractItemModelTester>(
        m_window->model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    m_window->show();
    EndpointConfig e;
    e.baseUrl = *url;
    e.token = demo.token();
    m_console->orchestrator->addEndpoint(e);
    QVERIFY(m_window->windowTitle().endsWith(QStringLiteral("demo")));
    QTRY_VERIFY_WITH_TIMEOUT(m_window->model()->rowCount() >= 10, 10'000);
    m_window.reset();
    m_modelTester.reset();
    m_console.reset();
}

void TestConsole::untrustedCertificateShownThenTrusted()
{
    const QString tls = QStringLiteral(REBOUND_TEST_DATA "/tls/");
    m_taskd = std::make_unique<TaskdProcess>(
        QStringList{QStringLiteral("--tls-cert"), tls + QStringLiteral("server.pem"),
                    QStringLiteral("--tls-key"), tls + QStringLiteral("server.key")});
    QVERIFY(m_taskd->start(0, R"({"default":{"latencyMinMs":5,"latencyMaxMs":10}})"));
    auto c = Engine::open({m_dir->filePath(QStringLiteral("policies.json")),
                           R"({"version":1,"policies":[{"name":"p"}]})",
                           m_dir->filePath(QStringLiteral("history.sqlite"))});
    QVERIFY(c.ok());
    m_console = std::move(c).value();
    m_window = std::make_unique<MainWindow>(m_console->access(), QStringLiteral("tls"));
    m_window->show();
    EndpointConfig e;
    e.baseUrl = QUrl(m_taskd->url);
    e.token = "test-token-123";
    m_console->orchestrator->addEndpoint(e);
    QLabel *status = nullptr;
    QTRY_VERIFY_WITH_TIMEOUT(
        (status = m_window->findChild<QLabel *>(QStringLiteral("endpointStatus"))) &&
            status->toolTip().contains(QStringLiteral("self-signed"), Qt::CaseInsensitive),
        10'000);
    // The operator sees which certificate it is about.
    QVERIFY2(status->toolTip().contains(QStringLiteral("rebound-test-taskd")),
             qPrintable(status->toolTip()));
    QCOMPARE(m_window->model()->rowCount(), 0); // nothing was read over the untrusted channel
    QFile ca(tls + QStringLiteral("server.pem"));
    QVERIFY(ca.open(QIODevice::ReadOnly));
    m_taskd->trust(QSslCertificate::fromData(ca.readAll(), QSsl::Pem));
    const QString id = m_taskd->createTask(QStringLiteral("tls.x"));
    QVERIFY(!id.isEmpty());
    // The operator fixes it from the window: same URL, its CA, token for this session only.
    m_window->findChild<QAction *>(QStringLiteral("connectEndpointAction"))->trigger();
    auto *dialog = m_window->findChild<QDialog *>(QStringLiteral("endpointsDialog"));
    QVERIFY(dialog);
    QTRY_VERIFY(dialog->isVisible());
    dialog->findChild<QLineEdit *>(QStringLiteral("endpointUrl"))->setText(m_taskd->url);
    dialog->findChild<QLineEdit *>(QStringLiteral("endpointToken"))
        ->setText(QStringLiteral("test-token-123"));
    dialog->findChild<QLineEdit *>(QStringLiteral("endpointCaFile"))
        ->setText(tls + QStringLiteral("server.pem"));
    dialog->findChild<QCheckBox *>(QStringLiteral("storeToken"))->setChecked(false);
    QPointer<QDialog> guard(dialog);
    QTest::mouseClick(dialog->findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Ok),
                      Qt::LeftButton);
    QVERIFY2(!guard || !guard->isVisible(),
             qPrintable(guard->findChild<QLabel *>(QStringLiteral("endpointStatusText"))->text()));
    // Reconnected at once (not after the backoff), and the task shows up.
    QTRY_VERIFY2_WITH_TIMEOUT(rowOf(id) >= 0, qPrintable(status->toolTip()), 5000);
    QTRY_VERIFY(!status->toolTip().contains(QStringLiteral("self-signed")));
    // Push works over TLS too (wss, the same trusted CA).
    QTRY_VERIFY2_WITH_TIMEOUT(status->text().contains(QStringLiteral("live (push)")),
                              qPrintable(status->text() + u' ' + status->toolTip()), 10'000);
}

void TestConsole::endpointsDialogKeepsTokenOutOfSettings()
{
    if (qEnvironmentVariableIsEmpty("DBUS_SESSION_BUS_ADDRESS"))
        QSKIP("needs a D-Bus session with an unlocked keyring: run through ./dev.sh test");
    const QByteArray token = "Kx7-dialog-secret-9b2d"; // distinctive, so any hit is real
    const QString url = QStringLiteral("https://127.0.0.1:1");
    CredentialStore credentials;
    EndpointsDialog dialog(credentials);
    dialog.show();
    dialog.findChild<QLineEdit *>(QStringLiteral("endpointUrl"))->setText(url);
    dialog.findChild<QLineEdit *>(QStringLiteral("endpointToken"))
        ->setText(QString::fromUtf8(token));
    auto *ca = dialog.findChild<QLineEdit *>(QStringLiteral("endpointCaFile"));
    auto *ok = dialog.findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Ok);
    auto *statusText = dialog.findChild<QLabel *>(QStringLiteral("endpointStatusText"));
    // A CA file that holds no certificate is named, and nothing is accepted.
    ca->setText(QStringLiteral(REBOUND_TEST_DATA "/tls/server.key"));
    QTest::mouseClick(ok, Qt::LeftButton);
    QVERIFY2(statusText->text().contains(QStringLiteral("holds no PEM certificate")),
             qPrintable(statusText->text()));
    QCOMPARE(dialog.result(), int(QDialog::Rejected));
    ca->setText(QStringLiteral(REBOUND_TEST_DATA "/tls/server.pem"));
    QSignalSpy accepted(&dialog, &QDialog::accepted);
    QTest::mouseClick(ok, Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(accepted.size(), 1, 10'000);
    QCOMPARE(dialog.endpoint().token, token);
    QCOMPARE(dialog.endpoint().caCertificates.size(), 1);
    // Settings remember the endpoint and its CA file, never the token.
    QSettings().sync();
    int files = 0, controlHits = 0;
    QDirIterator it(m_configDir.path(), QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        QFile f(it.next());
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray content = f.readAll();
        ++files;
        QVERIFY2(!content.contains(token), qPrintable(f.fileName()));
        controlHits += content.contains("127.0.0.1:1") && content.contains("server.pem") ? 1 : 0;
    }
    QVERIFY(files >= 1);
    QCOMPARE(controlHits, 1);
    // The keychain has it.
    bool done = false, found = false;
    QByteArray stored;
    credentials.read(url, [&](bool o, const QByteArray &t, const QString &) {
        found = o, stored = t, done = true;
    });
    QTRY_VERIFY_WITH_TIMEOUT(done, 10'000);
    QVERIFY(found);
    QCOMPARE(stored, token);
    done = false;
    credentials.remove(url, [&](bool, const QByteArray &, const QString &) { done = true; });
    QTRY_VERIFY_WITH_TIMEOUT(done, 10'000);
}

void TestConsole::forgetEndpointRemovesItsRows()
{
    startConsole(kFailing, policy(60'000));
    TaskdProcess other;
    QVERIFY(other.start(0, kFailing));
    EndpointConfig e;
    e.baseUrl = QUrl(other.url);
    e.token = "test-token-123";
    m_console->orchestrator->addEndpoint(e);
    m_console->orchestrator->poller(e.key())->setIntervals(Duration(100), Duration(300));
    QStringList kept, dropped;
    for (int i = 0; i < 6; ++i) {
        kept << m_taskd->createTask(QStringLiteral("sms.send"));
        dropped << other.createTask(QStringLiteral("pdf.render"));
    }
    // Interleave the two endpoints' rows, so the removal has several ranges.
    kept << m_taskd->createTask(QStringLiteral("sms.send"));
    dropped << other.createTask(QStringLiteral("pdf.render"));
    QTRY_COMPARE_WITH_TIMEOUT(m_window->model()->rowCount(), 14, 10'000);
    QTRY_COMPARE(m_window->findChildren<QLabel *>(QStringLiteral("endpointStatus")).size(), 2);
    select(dropped.first());

    m_window->findChild<QAction *>(QStringLiteral("forgetEndpointAction"))->trigger();
    auto *dialog = m_window->findChild<QInputDialog *>(QStringLiteral("forgetEndpointDialog"));
    QVERIFY(dialog);
    QCOMPARE(dialog->comboBoxItems().size(), 2);
    dialog->setTextValue(e.key());
    dialog->accept();

    QCOMPARE(m_console->orchestrator->endpoints(), QStringList{QUrl(m_taskd->url).toString()});
    QCOMPARE(m_window->model()->rowCount(), 7);
    for (const QString &id : std::as_const(kept))
        QVERIFY(rowOf(id) >= 0);
    for (const QString &id : std::as_const(dropped))
        QCOMPARE(rowOf(id), -1);
    QTRY_COMPARE(m_window->findChildren<QLabel *>(QStringLiteral("endpointStatus")).size(), 1);
    // Nothing more arrives from it; the other endpoint goes on.
    other.createTask(QStringLiteral("pdf.render"));
    const QString late = m_taskd->createTask(QStringLiteral("sms.send"));
    QTRY_VERIFY_WITH_TIMEOUT(rowOf(late) >= 0, 10'000);
    QCOMPARE(m_window->model()->rowCount(), 8);
    // Its history stays for export.
    QVERIFY(!m_console->history->attempts(e.key(), dropped.first()).isEmpty());
}

void TestConsole::filteredViewFollowsStateChanges()
{
    // Two attempts, 200 ms apart: each task is exhausted a moment after it appears.
    startConsole(
        kFailing,
        QByteArrayLiteral(R"({"version":1,"policies":[{"name":"p","backoff":{"initialDelayMs":200,)"
                          R"("maxDelayMs":200,"maxAttempts":2,"jitter":"none"}}]})"));
    auto *exhausted = m_window->findChild<QToolButton *>(QStringLiteral("stateCount.exhausted"));
    exhausted->click(); // before any task is exhausted: an empty view
    QCOMPARE(m_window->proxy()->rowCount(), 0);
    for (int i = 0; i < 4; ++i)
        m_taskd->createTask(QStringLiteral("sms.send"));
    // Nobody touches the filter: the tasks arrive in it as they become exhausted.
    QTRY_COMPARE_WITH_TIMEOUT(m_window->proxy()->rowCount(), 4, 15'000);
    for (int r = 0; r < 4; ++r)
        QCOMPARE(m_window->proxy()->index(r, TaskTableModel::State).data().toString(),
                 QStringLiteral("exhausted"));
    QTRY_COMPARE(exhausted->text(), QStringLiteral("exhausted 4"));
    QCOMPARE(m_window->findChild<QToolButton *>(QStringLiteral("stateCount.all"))->text(),
             QStringLiteral("all 4"));
    // The counts follow a type when one is chosen.
    auto *type = m_window->findChild<QComboBox *>(QStringLiteral("typeFilter"));
    QTRY_COMPARE(type->count(), 2);
    type->setCurrentIndex(1);
    QCOMPARE(m_window->findChild<QToolButton *>(QStringLiteral("stateCount.all"))->text(),
             QStringLiteral("all 4 of sms.send"));
}

void TestConsole::deferralSaysWhatItWaitsFor_data()
{
    QTest::addColumn<QByteArray>("guards");
    QTest::addColumn<bool>("pause");
    QTest::addColumn<QString>("expected"); // a regular expression for the Next attempt cell
    const QByteArray none =
        R"("breaker":{"windowSize":1000,"minimumNumberOfCalls":1000},"health":{"unhealthyScore":100},)"
        R"("budget":{"budgetPercent":0,"maxTokens":0,"ratePerSecond":0})";
    QTest::newRow("breaker")
        << QByteArray(
               R"("breaker":{"windowSize":2,"minimumNumberOfCalls":2,"failureRateThreshold":50,)"
               R"("waitDurationInOpenMs":60000},"health":{"unhealthyScore":100},)"
               R"("budget":{"budgetPercent":0,"maxTokens":0,"ratePerSecond":0})")
        << false
        << QStringLiteral("^waiting: breaker for sms\\.send open until \\d\\d:\\d\\d:\\d\\d$");
    QTest::newRow("budget")
        << QByteArray(
               R"("breaker":{"windowSize":1000,"minimumNumberOfCalls":1000},"health":{"unhealthyScore":100},)"
               R"("budget":{"budgetPercent":0,"maxTokens":2,"tokenRatio":0.1,"ratePerSecond":0,)"
               R"("recheckMs":60000})")
        << false
        << QStringLiteral(
               "^waiting: retry budget for sms\\.send spent until \\d\\d:\\d\\d:\\d\\d$");
    QTest::newRow("unhealthy")
        << QByteArray(
               R"("breaker":{"windowSize":1000,"minimumNumberOfCalls":1000},"health":{"unhealthyScore":0.5,)"
               R"("minimumCalls":1,"recheckMs":60000},)"
               R"("budget":{"budgetPercent":0,"maxTokens":0,"ratePerSecond":0})")
        << false
        << QStringLiteral(
               "^waiting: sms\\.send unhealthy until \\d\\d:\\d\\d:\\d\\d: errors \\d+ %, "
               "latency \\d+(\\.\\d)? m?s \\(score [01]\\.\\d\\d ≥ 0\\.50\\)$");
    QTest::newRow("paused") << none << true
                            << QStringLiteral(
                                   "^waiting: retries of sms\\.send paused by an operator$");
}

void TestConsole::deferralSaysWhatItWaitsFor()
{
    QFETCH(QByteArray, guards);
    QFETCH(bool, pause);
    QFETCH(QString, expected);
    startConsole(kFailing,
                 R"({"version":1,"policies":[{"name":"p","backoff":{"initialDelayMs":300,)"
                 R"("maxDelayMs":300,"maxAttempts":8,"jitter":"none"},)" +
                     guards + "}]}");
    const QString id = m_taskd->createTask(QStringLiteral("sms.send"));
    m_taskd->createTask(QStringLiteral("sms.send"));
    m_taskd->createTask(QStringLiteral("sms.send"));
    if (pause) {
        select(id);
        auto *pauseAction = m_window->findChild<QAction *>(QStringLiteral("pauseTypeAction"));
        QTRY_VERIFY(pauseAction->isEnabled());
        pauseAction->trigger();
        auto *badge = m_window->findChild<QLabel *>(QStringLiteral("pausedBadge"));
        QVERIFY(badge->isVisible());
        QCOMPARE(badge->text(), QStringLiteral("PAUSED: sms.send"));
        QCOMPARE(m_window->model()->index(0, TaskTableModel::Type).data().toString(),
                 QStringLiteral("sms.send · paused"));
    }
    const QRegularExpression re(expected);
    const auto deferredText = [this, &re] {
        const QAbstractItemModel *m = m_window->model();
        for (int r = 0; r < m->rowCount(); ++r) {
            const QString text = m->index(r, TaskTableModel::NextRetry).data().toString();
            if (re.match(text).hasMatch())
                return text;
        }
        return QString();
    };
    QTRY_VERIFY_WITH_TIMEOUT(!deferredText().isEmpty(), 15'000);
    // The state's tooltip says the same.
    const QAbstractItemModel *m = m_window->model();
    for (int r = 0; r < m->rowCount(); ++r)
        if (m->index(r, TaskTableModel::NextRetry).data().toString() == deferredText())
            QCOMPARE(m->index(r, TaskTableModel::State).data(Qt::ToolTipRole).toString(),
                     deferredText());
}

void TestConsole::endingsAreDistinctAndLogged()
{
    // sms.send fails for good (HTTP 400), pdf.render until its two attempts are used.
    startConsole(
        R"({"default":{"unavailable":1.0,"retryAfterProbability":0,"latencyMinMs":5,"latencyMaxMs":10},)"
        R"("types":{"sms.send":{"business":1.0,"latencyMinMs":5,"latencyMaxMs":10}}})",
        R"({"version":1,"policies":[{"name":"p","backoff":{"initialDelayMs":200,)"
        R"("maxDelayMs":200,"maxAttempts":2,"jitter":"none"}}]})");
    const QString permanent = m_taskd->createTask(QStringLiteral("sms.send"));
    const QString used = m_taskd->createTask(QStringLiteral("pdf.render"));
    const auto stateOf = [this](const QString &id, int role) {
        const QAbstractItemModel *m = m_window->model();
        for (int r = 0; r < m->rowCount(); ++r)
            if (m->index(r, TaskTableModel::Id).data().toString() == id)
                return m->index(r, TaskTableModel::State).data(role).toString();
        return QString();
    };
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(permanent, Qt::DisplayRole), QStringLiteral("not retryable"),
                              15'000);
    QVERIFY(stateOf(permanent, Qt::ToolTipRole)
                .startsWith(QStringLiteral("The last error is not retryable: HTTP 400")));
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(used, Qt::DisplayRole), QStringLiteral("exhausted"), 15'000);
    QCOMPARE(stateOf(used, Qt::ToolTipRole), QStringLiteral("2 of 2 attempts used (policy p v1)"));
    // Each its own colour.
    QVERIFY(StateBadgeDelegate::colorFor(TaskState::Exhausted, StopReason::NotRetryable) !=
            StateBadgeDelegate::colorFor(TaskState::Exhausted, StopReason::Exhausted));
    // The notification log kept both stops, and a line selects its task.
    QTreeWidget *log = m_window->notificationLog();
    QTRY_VERIFY(log->topLevelItemCount() >= 2);
    // (A line of its own, or one task of a group line.)
    const QList<QTreeWidgetItem *> lines =
        log->findItems(permanent + QStringLiteral(" stopped retrying: not retryable"),
                       Qt::MatchContains | Qt::MatchRecursive);
    QCOMPARE(lines.size(), 1);
    QTreeWidgetItem *line = lines.first();
    QVERIFY(QRegularExpression(QStringLiteral("^\\d\\d:\\d\\d:\\d\\d  "))
                .match(line->text(0))
                .hasMatch());
    Q_EMIT log->itemActivated(line, 0);
    auto *table = m_window->findChild<QTableView *>(QStringLiteral("taskTable"));
    const QModelIndexList selected = table->selectionModel()->selectedRows(TaskTableModel::Id);
    QCOMPARE(selected.size(), 1);
    QCOMPARE(selected.first().data().toString(), permanent);
}

void TestConsole::actionsFollowStateChanges()
{
    startConsole(kFailing, policy(60'000));
    const QString id = m_taskd->createTask(QStringLiteral("sms.send"));
    QTRY_COMPARE_WITH_TIMEOUT(m_window->model()->index(0, TaskTableModel::State).data().toString(),
                              QStringLiteral("retry scheduled"), 10'000);
    select(id);
    auto *cancel = m_window->findChild<QAction *>(QStringLiteral("cancelRetriesAction"));
    auto *retry = m_window->findChild<QAction *>(QStringLiteral("retryNowAction"));
    QTRY_VERIFY(cancel->isEnabled());
    // Cancelled from elsewhere (here: the engine directly): the selection stays, the actions
    // follow the new state without anyone touching the table.
    const QString key = QUrl(m_taskd->url).adjusted(QUrl::StripTrailingSlash).toString();
    m_console->orchestrator->cancelRetries(key, id);
    QTRY_VERIFY_WITH_TIMEOUT(!cancel->isEnabled(), 10'000);
    QVERIFY(retry->isEnabled());                // a cancelled task can be brought back
    QVERIFY(cancel->toolTip().contains(u'\n')); // and the tooltip says why not
    // Force breaker open asks first, then reports what happened.
    answerMessageBox(QStringLiteral("breakerConfirm"), QMessageBox::Yes);
    m_window->findChild<QAction *>(QStringLiteral("forceOpenAction"))->trigger();
    QTRY_COMPARE(m_console->orchestrator->breakerHealth(key, QStringLiteral("sms.send")),
                 BreakerHealth::ForcedOpen);
    QTreeWidget *log = m_window->notificationLog();
    const QString last = log->topLevelItem(log->topLevelItemCount() - 1)->text(0);
    QVERIFY2(last.endsWith(QStringLiteral("Breaker forced open: sms.send is now forced open")),
             qPrintable(last));
    // Answered No, nothing happens.
    answerMessageBox(QStringLiteral("breakerConfirm"), QMessageBox::No);
    m_window->findChild<QAction *>(QStringLiteral("resetBreakerAction"))->trigger();
    QCOMPARE(m_console->orchestrator->breakerHealth(key, QStringLiteral("sms.send")),
             BreakerHealth::ForcedOpen);
    // Help → States and decisions: one page, in the app.
    m_window->findChild<QAction *>(QStringLiteral("statesHelpAction"))->trigger();
    auto *help = m_window->findChild<QDialog *>(QStringLiteral("statesHelpDialog"));
    QVERIFY(help && help->isVisible());
    const QString page =
        help->findChild<QTextBrowser *>(QStringLiteral("statesHelpText"))->toPlainText();
    for (const char *word : {"deadline exceeded", "not retryable", "deferred", "Abort running"})
        QVERIFY2(page.contains(QLatin1String(word)), word);
    help->close();
    // View shows and hides every dock and the toolbar.
    auto *view = m_window->findChild<QMenu *>(QStringLiteral("viewMenu"));
    QStringList entries;
    for (QAction *a : view->actions())
        entries << a->text();
    for (const char *dock : {"Attempts", "Notifications", "Charts", "Actions"})
        QVERIFY2(entries.contains(QLatin1String(dock)), dock);
}

void TestConsole::editorShowsFieldErrorAndHoldsApply()
{
    startConsole(kFailing, policy(60'000));
    PolicyEditorDialog editor(m_console->policies, m_window.get());
    editor.show();
    auto *json = editor.findChild<QPlainTextEdit *>(QStringLiteral("policyJson"));
    auto *apply = editor.findChild<QPushButton *>(QStringLiteral("applyPolicyButton"));
    auto *problem = editor.findChild<QLabel *>(QStringLiteral("backoff.multiplier.error"));
    QVERIFY(apply && problem);
    QVERIFY(!apply->isEnabled()); // what is shown is in force: nothing to apply yet
    QVERIFY(!problem->isVisible());
    json->setPlainText(
        QStringLiteral(R"({"version":1,"policies":[{"name":"p","backoff":{"multiplier":0.5}}]})"));
    // The problem is named next to its field, which is marked; Apply waits.
    QVERIFY(problem->isVisible());
    QCOMPARE(problem->text(), QStringLiteral("must be ≥ 1"));
    QVERIFY(
        !editor.findChild<QWidget *>(QStringLiteral("backoff.multiplier"))->styleSheet().isEmpty());
    QVERIFY(!apply->isEnabled());
    QVERIFY(apply->toolTip().contains(QStringLiteral("policies[0].backoff.multiplier")));
    json->setPlainText(
        QStringLiteral(R"({"version":1,"policies":[{"name":"p","backoff":{"multiplier":1.5}}]})"));
    QVERIFY(!problem->isVisible());
    QVERIFY(apply->isEnabled());
    // Applied: the notice names the policy and the version.
    answerMessageBox(QStringLiteral("applyConfirm"), QMessageBox::Apply);
    apply->click();
    QTRY_COMPARE(m_console->policies.history().size(), 2);
    QTreeWidget *log = m_window->notificationLog();
    QTRY_VERIFY(log->topLevelItemCount() > 0);
    const QString last = log->topLevelItem(log->topLevelItemCount() - 1)->text(0);
    QVERIFY2(last.endsWith(QStringLiteral("policy p v2 applied")), qPrintable(last));
}

void TestConsole::exportDefaultsToAFolderThatExists()
{
    // A fresh home has no Documents folder yet: the export makes it rather than failing.
    QTemporaryDir home;
    const QByteArray oldHome = qgetenv("HOME");
    qputenv("HOME", home.path().toUtf8());
    const QString folder = ExportDialog::defaultFolder();
    qputenv("HOME", oldHome);
    QCOMPARE(folder, home.path() + QStringLiteral("/Documents"));
    QVERIFY(QFileInfo(folder).isDir());
    startConsole(kFailing, policy(60'000));
    ExportDialog dialog(m_console->history->path(), {}, {}, m_window.get());
    const QString file = dialog.findChild<QLineEdit *>(QStringLiteral("exportFile"))->text();
    QVERIFY2(QFileInfo(QFileInfo(file).path()).isDir(), qPrintable(file));
}

void TestConsole::attemptsPaneShowsPolicyChangesAndTakesTab()
{
    startConsole(kFailing, policy(400));
    const QString id = m_taskd->createTask(QStringLiteral("sms.send"));
    QTRY_COMPARE_WITH_TIMEOUT(m_window->model()->rowCount(), 1, 10'000);
    select(id);
    auto *table = m_window->findChild<QTableWidget *>(QStringLiteral("attemptTable"));
    QVERIFY(table);
    const auto rowWith = [table](const QString &text) {
        for (int r = 0; r < table->rowCount(); ++r)
            for (int c = 0; c < table->columnCount(); ++c)
                if (table->item(r, c) && table->item(r, c)->text() == text)
                    return r;
        return -1;
    };
    QTRY_VERIFY_WITH_TIMEOUT(table->rowCount() >= 2, 10'000);
    // A new version while the task is watched appears between its attempts, in italics.
    QVERIFY(m_console->policies.apply(policy(500), QStringLiteral("console:test")));
    QTRY_VERIFY_WITH_TIMEOUT(rowWith(QStringLiteral("policy change")) >= 0, 10'000);
    const int row = rowWith(QStringLiteral("policy change"));
    QVERIFY(rowWith(QStringLiteral("→ v2")) == row);
    QVERIFY(rowWith(QStringLiteral("applied by console:test")) == row);
    QVERIFY(table->item(row, 1)->font().italic());
    QTRY_VERIFY_WITH_TIMEOUT(row + 1 < table->rowCount(), 10'000); // attempts went on after it
    // Tab from the task table reaches the Attempts pane.
    auto *tasks = m_window->findChild<QTableView *>(QStringLiteral("taskTable"));
    m_window->activateWindow();
    tasks->setFocus();
    QTRY_VERIFY(tasks->hasFocus());
    bool reached = false;
    for (int i = 0; i < 30 && !reached; ++i) {
        QTest::keyClick(QApplication::focusWidget(), Qt::Key_Tab);
        reached = table->hasFocus();
    }
    QVERIFY2(reached, "Tab never reached the Attempts pane");
}

QTEST_MAIN(TestConsole)
#include "tst_console.moc"
