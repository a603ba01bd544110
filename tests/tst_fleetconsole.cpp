// The console in fleet mode against a real etcd: the editor publishes, every member (this
// console and another) applies and acknowledges, the Fleet dock shows who runs what and who
// refused what, and why. Widgets are found by objectName.
#include "EtcdProcess.h"
#include "FleetMembersModel.h"
#include "FleetPane.h"
#include "InProcessMember.h"
#include "MainWindow.h"
#include "PolicyEditorDialog.h"
#include "engine/Engine.h"
#include "fleet/EtcdCodec.h"
#include "fleet/EtcdStore.h"
#include "fleet/HttpEtcdWire.h"
#include "fleet/PolicyFeed.h"
#include "fleet/PolicyPublisher.h"

#include <QAbstractItemModelTester>
#include <QDockWidget>
#include <QLabel>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>

using namespace rebound;

namespace {

const QByteArray kPolicy =
    R"({"version":1,"policies":[{"name":"p","backoff":{"initialDelayMs":300,"maxAttempts":5}}]})";
const QByteArray kInvalid =
    R"({"version":1,"policies":[{"name":"p","backoff":{"multiplier":0.5}}]})";

} // namespace

class TestFleetConsole final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void editorPublishesAndTheFleetDockShowsEveryMember();
    void refusalsAreShownWithTheirReason();
    void differingEndpointsAreShown();

private:
    QString memberState(const QString &member) const;
    PolicyEditorDialog *openEditor();

    QTemporaryDir m_dir;
    std::unique_ptr<EtcdProcess> m_etcd;
    std::unique_ptr<Engine> m_engine;
    std::unique_ptr<HttpEtcdWire> m_wire;
    std::unique_ptr<EtcdStore> m_coordination;
    std::unique_ptr<FleetSession> m_session;
    std::unique_ptr<PolicyFeed> m_feed;
    std::unique_ptr<MainWindow> m_window;
    FleetPane *m_pane = nullptr;
    std::unique_ptr<QAbstractItemModelTester> m_tester;
    // Another member, as a `reboundctl watch --etcd` would be.
    std::unique_ptr<InProcessMember> m_other;
    std::unique_ptr<PolicyEditorDialog> m_editor;
};

void TestFleetConsole::initTestCase()
{
    Q_INIT_RESOURCE(ui);
}

void TestFleetConsole::init()
{
    m_etcd = std::make_unique<EtcdProcess>();
    QVERIFY2(m_etcd->start(), qPrintable(m_etcd->error));
    auto engine = Engine::open({QString(), {}, m_dir.filePath(QStringLiteral("h.sqlite")), 0});
    QVERIFY(engine);
    m_engine = std::move(engine).value();
    const FleetKeys keys("/rebound");
    m_wire = std::make_unique<HttpEtcdWire>(QUrl(m_etcd->url));
    m_coordination = std::make_unique<EtcdStore>(*m_wire);
    m_session = std::make_unique<FleetSession>(
        *m_coordination, m_engine->clock, m_engine->timers, m_engine->rng,
        FleetSession::Config{QStringLiteral("console"), Duration(5000), Duration(1000)});
    m_feed = std::make_unique<PolicyFeed>(*m_session, keys, m_engine->policies);
    m_window = std::make_unique<MainWindow>(m_engine->access(), QString());
    m_pane = new FleetPane(*m_coordination, keys, *m_feed, m_engine->policies);
    m_window->setFleet(m_pane, [this, keys](const QByteArray &doc,
                                            std::function<void(Result<std::int64_t>)> done) {
        PolicyPublisher::publish(*m_coordination, keys, doc, std::move(done));
    });
    m_tester = std::make_unique<QAbstractItemModelTester>(
        m_pane->model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    m_session->start();
    m_other = std::make_unique<InProcessMember>(m_etcd->url, QStringLiteral("watch-1"),
                                                m_engine->clock, m_engine->timers, m_engine->rng,
                                                Duration(5000), Duration(1000));
    m_window->resize(1280, 800);
    m_window->show();
    QTRY_COMPARE(m_session->state(), FleetSession::State::Live);
    QTRY_VERIFY(m_other->live());
}

void TestFleetConsole::cleanup()
{
    m_editor.reset();
    m_tester.reset();
    m_other.reset();
    m_window.reset();
    m_feed.reset();
    m_session.reset();
    m_coordination.reset();
    m_wire.reset();
    m_engine.reset();
    m_etcd.reset();
}

QString TestFleetConsole::memberState(const QString &member) const
{
    const FleetMembersModel *m = m_pane->model();
    for (int r = 0; r < m->rowCount(); ++r)
        if (m->index(r, FleetMembersModel::Member).data().toString() == member)
            return m->index(r, FleetMembersModel::Version).data().toString() + u' ' +
                   m->index(r, FleetMembersModel::State).data().toString();
    return {};
}

PolicyEditorDialog *TestFleetConsole::openEditor()
{
    // As the Policies action opens it in fleet mode: publishing through the window's publisher.
    m_editor = std::make_unique<PolicyEditorDialog>(m_engine->policies, m_window.get());
    m_editor->setPublisher(
        [this](const QByteArray &doc, std::function<void(Result<std::int64_t>)> done) {
            PolicyPublisher::publish(*m_coordination, FleetKeys("/rebound"), doc, std::move(done));
        });
    m_editor->show();
    return m_editor.get();
}

void TestFleetConsole::editorPublishesAndTheFleetDockShowsEveryMember()
{
    QVERIFY(m_window->findChild<QDockWidget *>(QStringLiteral("fleetDock")));
    auto *link = m_window->findChild<QLabel *>(QStringLiteral("fleetLink"));
    QVERIFY(link);
    QTRY_VERIFY2(link->text().contains(QStringLiteral(": live")), qPrintable(link->text()));
    auto *published = m_window->findChild<QLabel *>(QStringLiteral("fleetPublished"));
    QTRY_COMPARE(published->text(),
                 QStringLiteral("No policies published yet; this console runs built-in defaults."));

    PolicyEditorDialog *editor = openEditor();
    QCOMPARE(editor->findChild<QPushButton *>(QStringLiteral("applyPolicyButton"))->text(),
             QStringLiteral("Publish…"));
    editor->findChild<QPlainTextEdit *>(QStringLiteral("policyJson"))
        ->setPlainText(QString::fromUtf8(kPolicy));
    QVERIFY(editor->apply());
    auto *message = editor->findChild<QLabel *>(QStringLiteral("policyPublishStatus"));
    QTRY_VERIFY2(message->text().startsWith(QStringLiteral("Published as version ")),
                 qPrintable(message->text()));
    const int version = message->text().section(u' ', 3, 3).remove(u';').toInt();
    // It stays when the version comes back through the watch and reloads the document (the
    // answer and the watch event race; either may come first).
    QTRY_COMPARE(m_engine->policies.history().size(), 1);
    QVERIFY2(message->text().startsWith(QStringLiteral("Published as version ")),
             qPrintable(message->text()));
    QVERIFY(version > 0);
    // This console applies it as it comes back through its watch, like every other member.
    QTRY_COMPARE(m_engine->policies.history().size(), 1);
    QCOMPARE(m_engine->policies.history().last().number, version);
    QCOMPARE(m_engine->policies.current()->policyFor(QStringLiteral("x")).backoff.maxAttempts, 5);
    QTRY_COMPARE(m_other->store.history().size(), 1);
    QTRY_COMPARE(m_pane->model()->rowCount(), 2);
    QTRY_COMPARE(memberState(QStringLiteral("console")), QStringLiteral("v%1 runs").arg(version));
    QTRY_COMPARE(memberState(QStringLiteral("watch-1")), QStringLiteral("v%1 runs").arg(version));
    QTRY_COMPARE(published->text(),
                 QStringLiteral("Published: v%1 · this console runs v%1.").arg(version));
    // An invalid document never leaves the editor.
    editor->findChild<QPlainTextEdit *>(QStringLiteral("policyJson"))
        ->setPlainText(QString::fromUtf8(kInvalid));
    QVERIFY(!editor->apply()); // refused before anything is sent: nothing can arrive later
    auto *errors = editor->findChild<QLabel *>(QStringLiteral("policyErrors"));
    QVERIFY2(errors->text().contains(QStringLiteral("policies[0].backoff.multiplier")),
             qPrintable(errors->text()));
    QCOMPARE(m_engine->policies.history().size(), 1);
}

void TestFleetConsole::refusalsAreShownWithTheirReason()
{
    // Written around the editor (etcdctl, a script): every member refuses it.
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("policy_refused")));
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("policy_refused")));
    std::optional<bool> put;
    m_wire->call(QStringLiteral("/v3/kv/put"),
                 {{QStringLiteral("key"), EtcdCodec::base64("/rebound/policies")},
                  {QStringLiteral("value"), EtcdCodec::base64(kInvalid)}},
                 [&](Result<QByteArray> r) { put = r.ok(); });
    QTRY_VERIFY(put.has_value());
    QVERIFY(*put);
    QTRY_COMPARE(m_pane->model()->rowCount(), 2);
    QTRY_VERIFY2(memberState(QStringLiteral("console")).endsWith(QStringLiteral(" refused")),
                 qPrintable(memberState(QStringLiteral("console"))));
    QTRY_VERIFY(memberState(QStringLiteral("watch-1")).endsWith(QStringLiteral(" refused")));
    const FleetMembersModel *m = m_pane->model();
    QVERIFY(m->index(0, FleetMembersModel::Detail)
                .data()
                .toString()
                .startsWith(QStringLiteral("policies[0].backoff.multiplier: must be")));
    QVERIFY(m_engine->policies.history().isEmpty()); // the defaults stay
    // The operator hears it in words that fit: a version from the config centre, not a file.
    auto *log = m_window->notificationLog();
    QTRY_VERIFY(log->topLevelItemCount() > 0);
    const QString last = log->topLevelItem(log->topLevelItemCount() - 1)->text(0);
    QVERIFY2(last.contains(QStringLiteral("from the config centre was refused; this console keeps "
                                          "its policies: policies[0].backoff.multiplier")),
             qPrintable(last));
}

void TestFleetConsole::differingEndpointsAreShown()
{
    auto *label = m_window->findChild<QLabel *>(QStringLiteral("fleetEndpoints"));
    QVERIFY(label);
    QVERIFY(label->isHidden()); // the two members here watch nothing yet: nothing to compare
    // Two more registrations, as members started with two spellings of one service would
    // write them.
    for (const auto &[id, endpoint] :
         {std::pair{"x", "http://127.0.0.1:8080"}, std::pair{"y", "http://localhost:8080"}}) {
        std::optional<bool> put;
        m_wire->call(
            QStringLiteral("/v3/kv/put"),
            {{QStringLiteral("key"), EtcdCodec::base64(QByteArray("/rebound/members/") + id)},
             {QStringLiteral("value"),
              EtcdCodec::base64(QByteArray(R"({"member":")") + id + R"(","endpoints":[")" +
                                endpoint + R"("]})")}},
            [&](Result<QByteArray> r) { put = r.ok(); });
        QTRY_VERIFY(put.has_value());
        QVERIFY(*put);
    }
    QTRY_VERIFY_WITH_TIMEOUT(!label->isHidden(), 10'000);
    QVERIFY2(label->text().contains(QStringLiteral("x: http://127.0.0.1:8080")) &&
                 label->text().contains(QStringLiteral("y: http://localhost:8080")),
             qPrintable(label->text()));
}

QTEST_MAIN(TestFleetConsole)
#include "tst_fleetconsole.moc"
