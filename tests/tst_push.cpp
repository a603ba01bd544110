// Push over /v1/watch end to end (integration): the console's engine against the real
// rebound-taskd while the stream breaks in each way the protocol plans for. After each, the
// console's view equals the service (every task at the service's version and state) and the
// history holds exactly the service's attempts.
#include "OrchestratorFixture.h"
#include "TaskdProcess.h"
#include "remote/WatchProtocol.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

using namespace rebound;

namespace {

const QByteArray kProfile =
    R"({"default":{"unavailable":0.3,"retryAfterProbability":0,"latencyMinMs":20,"latencyMaxMs":80}})";

/// Every task the service has, paged from GET /v1/tasks.
QHash<QString, QJsonObject> serverTasks(TaskdProcess &taskd)
{
    QHash<QString, QJsonObject> out;
    QString cursor;
    for (;;) {
        const QString path = cursor.isEmpty()
                                 ? QStringLiteral("/v1/tasks?limit=1000")
                                 : QStringLiteral("/v1/tasks?limit=1000&since=") + cursor;
        const QJsonObject page = taskd.request("GET", path).json();
        for (const QJsonValue &v : page.value(QStringLiteral("tasks")).toArray())
            out.insert(v[QStringLiteral("id")].toString(), v.toObject());
        cursor = page.value(QStringLiteral("cursor")).toString();
        if (!page.value(QStringLiteral("more")).toBool())
            return out;
    }
}

/// Empty when the console shows every task at the service's version and state and its
/// history has the service's attempts; else the first difference.
QString difference(OrchestratorFixture &c, TaskdProcess &taskd)
{
    const auto server = serverTasks(taskd);
    if (c.orchestrator->taskCount() != server.size())
        return QStringLiteral("console has %1 tasks, service %2")
            .arg(c.orchestrator->taskCount())
            .arg(server.size());
    for (auto it = server.begin(); it != server.end(); ++it) {
        const TrackedTask *t = c.orchestrator->task(c.endpoint.key(), it.key());
        if (!t)
            return it.key() + QStringLiteral(": missing");
        if (t->remote.version != it->value(QStringLiteral("version")).toInteger())
            return QStringLiteral("%1: version %2, service %3")
                .arg(it.key())
                .arg(t->remote.version)
                .arg(it->value(QStringLiteral("version")).toInteger());
        const QJsonArray attempts = taskd.attempts(it.key());
        const auto rows = c.history->attempts(c.endpoint.key(), it.key());
        if (rows.size() != attempts.size())
            return QStringLiteral("%1: %2 attempts in the history, service %3")
                .arg(it.key())
                .arg(rows.size())
                .arg(attempts.size());
        for (qsizetype i = 0; i < rows.size(); ++i)
            if (rows[i].outcome != attempts[i][QStringLiteral("outcome")].toString())
                return QStringLiteral("%1 attempt %2: %3, service %4")
                    .arg(it.key())
                    .arg(i + 1)
                    .arg(rows[i].outcome, attempts[i][QStringLiteral("outcome")].toString());
    }
    return {};
}

/// A WebSocket client by hand, so it can stop reading: handshake, one masked subscribe frame.
bool rawSubscribe(QTcpSocket &s, quint16 port, const QByteArray &token)
{
    s.setSocketOption(QAbstractSocket::ReceiveBufferSizeSocketOption, 4096);
    s.setReadBufferSize(1024); // Qt stops draining the kernel once this much is unread
    s.connectToHost(QStringLiteral("127.0.0.1"), port);
    if (!s.waitForConnected(5000))
        return false;
    s.write("GET /v1/watch HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\nAuthorization: Bearer " +
            token + "\r\n\r\n");
    QByteArray head;
    while (!head.contains("\r\n\r\n") && s.waitForReadyRead(5000))
        head += s.read(1024);
    if (!head.startsWith("HTTP/1.1 101"))
        return false;
    const QByteArray payload = WatchProtocol::subscribe(QString());
    QByteArray frame;
    frame += char(0x81);
    frame += char(0x80 | payload.size()); // < 126 bytes
    const char mask[4] = {1, 2, 3, 4};
    frame.append(mask, 4);
    for (qsizetype i = 0; i < payload.size(); ++i)
        frame += char(payload[i] ^ mask[i % 4]);
    s.write(frame);
    return s.waitForBytesWritten(5000);
}

} // namespace

class TestPush final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void socketDroppedMidStream();
    void bookmarksMissing();
    void cursorExpired();
    void serviceRestarted();
    void slowReaderIsDisconnected();
    void upgradeAnswers();

private:
    /// A service with bookmarks every 200 ms and a console that went live on push.
    void startLive(const QStringList &extra = {});
    EndpointPoller *poller() { return m_console->orchestrator->poller(m_console->endpoint.key()); }
    void createTasks(int n)
    {
        for (int i = 0; i < n; ++i)
            QVERIFY(!m_taskd->createTask(QStringLiteral("push.t")).isEmpty());
    }
    void converges()
    {
        QString diff;
        (void)QTest::qWaitFor(
            [&] {
                diff = difference(*m_console, *m_taskd);
                return diff.isEmpty();
            },
            20'000);
        QVERIFY2(diff.isEmpty(), qPrintable(diff));
    }

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<TaskdProcess> m_taskd;
    std::unique_ptr<OrchestratorFixture> m_console;
    QStringList m_args;
};

void TestPush::init()
{
    m_console.reset();
    m_taskd.reset();
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
}

void TestPush::startLive(const QStringList &extra)
{
    m_args = QStringList{QStringLiteral("--state"), m_dir->filePath(QStringLiteral("t.jsonl")),
                         QStringLiteral("--watch-bookmark-ms"), QStringLiteral("200")} +
             extra;
    m_taskd = std::make_unique<TaskdProcess>(m_args);
    QVERIFY2(m_taskd->start(0, kProfile), qPrintable(m_taskd->error));
    m_console = std::make_unique<OrchestratorFixture>(m_taskd->url, fixedBackoffPolicy(3, 100, 200),
                                                      m_dir->path(), QStringLiteral("push"));
    createTasks(10);
    m_console->start();
    QTRY_VERIFY_WITH_TIMEOUT(poller()->status().push, 10'000);
    if (!extra.contains(QStringLiteral("--generate"))) // a moving service never equals a copy
        converges();
}

void TestPush::socketDroppedMidStream()
{
    startLive();
    m_taskd->setFaults({{QStringLiteral("watchDropRate"), 1.0}});
    createTasks(5); // the first change message cuts the connection instead
    QTRY_VERIFY_WITH_TIMEOUT(poller()->pushFailures() >= 1, 5000);
    QVERIFY(m_taskd->metric("rebound_taskd_watch_closes_total{cause=\"dropped\"}") >= 1);
    converges(); // polling from the same cursor brought them
    m_taskd->setFaults({});
    QTRY_VERIFY_WITH_TIMEOUT(poller()->status().push, 10'000);
    createTasks(5);
    converges();
}

void TestPush::bookmarksMissing()
{
    startLive();
    m_taskd->setFaults({{QStringLiteral("watchSilent"), true}});
    createTasks(5);
    // Bookmarks every 200 ms: after 2 x 200 + 1000 ms of silence the console polls.
    QTRY_VERIFY_WITH_TIMEOUT(!poller()->status().push, 5000);
    QVERIFY2(poller()->status().pushError.startsWith(QStringLiteral("no bookmark for")),
             qPrintable(poller()->status().pushError));
    converges();
    m_taskd->setFaults({});
    QTRY_VERIFY_WITH_TIMEOUT(poller()->status().push, 10'000);
    createTasks(3);
    converges();
}

void TestPush::cursorExpired()
{
    startLive();
    QSignalSpy changed(poller(), &EndpointPoller::tasksChanged);
    // Every cursor issued so far expires: the live subscription is told to resync.
    m_taskd->setFaults({{QStringLiteral("expireCursors"), true}});
    QTRY_VERIFY_WITH_TIMEOUT(
        std::any_of(changed.cbegin(), changed.cend(),
                    [](const QList<QVariant> &args) { return args.at(1).toBool(); }),
        5000); // a full snapshot came
    QTRY_VERIFY_WITH_TIMEOUT(poller()->status().push, 10'000);
    QCOMPARE(poller()->pushFailures(), 0); // a resync is no failure
    createTasks(3);
    converges();
}

void TestPush::serviceRestarted()
{
    startLive();
    const quint16 port = m_taskd->port;
    m_taskd.reset(); // SIGKILL
    QTRY_VERIFY_WITH_TIMEOUT(!poller()->status().push, 5000);
    m_taskd = std::make_unique<TaskdProcess>(m_args);
    QVERIFY2(m_taskd->start(port, kProfile), qPrintable(m_taskd->error));
    createTasks(4); // changes the console has not seen, under a new epoch (cursors expired)
    QTRY_VERIFY_WITH_TIMEOUT(poller()->status().push, 20'000);
    converges();
}

void TestPush::slowReaderIsDisconnected()
{
    // Many changes, a reader that reads nothing, 300 ms of grace over the 1 MiB mark.
    startLive({QStringLiteral("--watch-stall-ms"), QStringLiteral("300"),
               QStringLiteral("--generate"), QStringLiteral("1500")});
    QTcpSocket reader;
    QVERIFY(rawSubscribe(reader, m_taskd->port, "test-token-123"));
    QTRY_VERIFY2_WITH_TIMEOUT(
        m_taskd->metric("rebound_taskd_watch_closes_total{cause=\"slow\"}") == 1,
        m_taskd->request("GET", QStringLiteral("/metrics")).body.constData(), 30'000);
    // The console's own subscription, which reads, stayed up.
    QCOMPARE(poller()->pushFailures(), 0);
    QVERIFY(poller()->status().push);
}

void TestPush::upgradeAnswers()
{
    startLive();
    // No upgrade: 426 with the Upgrade header; wrong token: 401 before any upgrade.
    const auto plain = m_taskd->request("GET", QStringLiteral("/v1/watch"));
    QCOMPARE(plain.status, 426);
    QCOMPARE(plain.headers.value("upgrade"), QByteArray("websocket"));
    QTcpSocket s;
    QVERIFY(!rawSubscribe(s, m_taskd->port, "wrong"));
    QTcpSocket ok;
    QVERIFY(rawSubscribe(ok, m_taskd->port, "test-token-123"));
}

QTEST_GUILESS_MAIN(TestPush)
#include "tst_push.moc"
