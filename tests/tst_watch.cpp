// Push over /v1/watch, client side, on a manual clock: the messages (WatchProtocol), the
// poller's hand-over from delta polling to push and back, and the engine's (id, version)
// idempotency that makes every switch loss- and double-free. No network: a scripted transport
// answers list requests and a fake channel stands for the WebSocket.
#include "ScriptedRandom.h"
#include "remote/EndpointPoller.h"
#include "remote/TaskJson.h"
#include "remote/WatchProtocol.h"
#include "time/ManualClock.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTest>

#include <deque>
#include <memory>

using namespace rebound;

namespace {

RemoteTask task(const QString &id, int version)
{
    RemoteTask t;
    t.id = id;
    t.type = QStringLiteral("sms.send");
    t.state = RemoteState::Running;
    t.attempt = 1;
    t.version = version;
    t.createdAtMs = 1'767'225'600'000;
    t.updatedAtMs = 1'767'225'600'000 + version;
    return t;
}

QJsonArray json(const QList<RemoteTask> &tasks)
{
    QJsonArray a;
    for (const RemoteTask &t : tasks)
        a.append(TaskJson::toJson(t));
    return a;
}

/// Stands for the WebSocket: the test opens, feeds and closes it.
class FakeWatch final : public WatchChannel
{
public:
    struct Probe
    {
        Handlers handlers;
        QList<QByteArray> sent;
        bool opened = false;
        bool alive = true;
    };
    explicit FakeWatch(std::shared_ptr<Probe> p) : m_probe(std::move(p)) {}
    ~FakeWatch() override { m_probe->alive = false; }
    void open(Handlers h) override
    {
        m_probe->handlers = std::move(h);
        m_probe->opened = true;
    }
    void send(const QByteArray &m) override { m_probe->sent.append(m); }
    std::int64_t bytesReceived() const override { return 0; }

private:
    std::shared_ptr<Probe> m_probe;
};

/// List requests are held until the test answers them; every openWatch() makes a FakeWatch
/// whose probe the test gets (none when `push` is false).
class ScriptTransport final : public TaskTransport
{
public:
    void send(ApiRequest request, Callback done) override
    {
        held.push_back({std::move(request), std::move(done)});
    }
    void abortAll() override {}
    QString endpointKey() const override { return QStringLiteral("http://svc"); }
    void setCredentials(const QByteArray &, const QList<QSslCertificate> &) override {}
    std::optional<SteadyTime> pausedUntil() const override { return std::nullopt; }
    std::unique_ptr<WatchChannel> openWatch() override
    {
        if (!push)
            return nullptr;
        channels.append(std::make_shared<FakeWatch::Probe>());
        return std::make_unique<FakeWatch>(channels.last());
    }

    /// The `since` of the oldest held list request.
    QString since() const
    {
        return held.front().first.query.queryItemValue(QStringLiteral("since"),
                                                        QUrl::FullyDecoded);
    }
    void answerList(const QList<RemoteTask> &tasks, const QString &cursor, bool more = false)
    {
        ApiResponse r;
        r.status = 200;
        r.body = QJsonDocument(QJsonObject{{QStringLiteral("tasks"), json(tasks)},
                                           {QStringLiteral("cursor"), cursor},
                                           {QStringLiteral("more"), more}})
                     .toJson(QJsonDocument::Compact);
        auto [req, done] = std::move(held.front());
        held.pop_front();
        done(r);
    }

    bool push = true;
    std::deque<std::pair<ApiRequest, Callback>> held;
    QList<std::shared_ptr<FakeWatch::Probe>> channels;
};

} // namespace

class TestWatch final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void messagesRoundTrip();
    void badMessages_data();
    void badMessages();
    void subscribesFromTheSnapshotCursorAndStopsPolling();
    void changesMoveTheCursorAndAClosePollsFromIt();
    void missingBookmarkFallsBackAndPushReturns();
    void resyncPagesASnapshotThenSubscribesAgain();
    void openedWhileAPollIsInFlightSubscribesAfterIt();
    void malformedEventFallsBack();
    void refusedUpgradeBacksOffWhilePollingGoesOn();
    void transportWithoutPushOnlyPolls();
    void liveStatusAndText();

private:
    /// Start, answer the snapshot with `tasks` at cursor c1, open and subscribe, first bookmark.
    void goLive(const QList<RemoteTask> &tasks = {task(QStringLiteral("a"), 1)});
    std::shared_ptr<FakeWatch::Probe> channel() const { return m_transport->channels.last(); }

    std::unique_ptr<ManualClock> m_clock;
    std::unique_ptr<ScriptedRandom> m_rng;
    std::unique_ptr<ScriptTransport> m_transport;
    std::unique_ptr<EndpointPoller> m_poller;
    std::unique_ptr<QSignalSpy> m_changed;
};

void TestWatch::init()
{
    m_clock = std::make_unique<ManualClock>();
    m_rng = std::make_unique<ScriptedRandom>(std::vector<double>{0.5});
    m_transport = std::make_unique<ScriptTransport>();
    m_poller = std::make_unique<EndpointPoller>(*m_transport, *m_clock, *m_clock, *m_rng);
    m_changed = std::make_unique<QSignalSpy>(m_poller.get(), &EndpointPoller::tasksChanged);
}

void TestWatch::cleanup()
{
    m_changed.reset();
    m_poller.reset();
    m_transport.reset();
}

void TestWatch::goLive(const QList<RemoteTask> &tasks)
{
    m_poller->start();
    m_clock->advance(Duration(0));
    QCOMPARE(m_transport->held.size(), size_t(1));
    QCOMPARE(m_transport->since(), QString());
    m_transport->answerList(tasks, QStringLiteral("c1"));
    QCOMPARE(m_changed->size(), 1);
    QCOMPARE(m_transport->channels.size(), 1);
    QVERIFY(channel()->opened);
    channel()->handlers.opened();
    QCOMPARE(channel()->sent, QList<QByteArray>{WatchProtocol::subscribe(QStringLiteral("c1"))});
    channel()->handlers.message(WatchProtocol::bookmark(QStringLiteral("c1"), 1000));
    QVERIFY(m_poller->status().push);
}

void TestWatch::messagesRoundTrip()
{
    const auto sub = WatchProtocol::decodeSubscribe(WatchProtocol::subscribe(QStringLiteral("x")));
    QVERIFY(sub);
    QCOMPARE(sub->since, QStringLiteral("x"));

    const QList<RemoteTask> tasks = {task(QStringLiteral("a"), 3), task(QStringLiteral("b"), 7)};
    auto e = WatchProtocol::decodeEvent(WatchProtocol::changed(QStringLiteral("c9"), json(tasks)));
    QVERIFY2(e, qPrintable(e ? QString() : e.error().message));
    QCOMPARE(e->kind, WatchProtocol::Event::Kind::Changed);
    QCOMPARE(e->cursor, QStringLiteral("c9"));
    QCOMPARE(e->tasks.size(), 2);
    QCOMPARE(e->tasks[1].id, QStringLiteral("b"));
    QCOMPARE(e->tasks[1].version, 7);

    e = WatchProtocol::decodeEvent(WatchProtocol::bookmark(QStringLiteral("c9"), 5000));
    QVERIFY(e);
    QCOMPARE(e->kind, WatchProtocol::Event::Kind::Bookmark);
    QCOMPARE(e->intervalMs, 5000);

    e = WatchProtocol::decodeEvent(WatchProtocol::resync(QStringLiteral("cursor expired")));
    QVERIFY(e);
    QCOMPARE(e->kind, WatchProtocol::Event::Kind::Resync);
    QCOMPARE(e->detail, QStringLiteral("cursor expired"));
}

void TestWatch::badMessages_data()
{
    QTest::addColumn<bool>("fromClient");
    QTest::addColumn<QByteArray>("message");
    QTest::addColumn<QString>("error");
    QTest::newRow("subscribe: not JSON") << true << QByteArray("{op") << QStringLiteral("message: not JSON");
    QTest::newRow("subscribe: array") << true << QByteArray("[1]") << QStringLiteral("message: must be an object");
    QTest::newRow("subscribe: unknown op") << true << QByteArray(R"({"op":"watch"})")
                                           << QStringLiteral("op: unknown operation \"watch\"");
    QTest::newRow("subscribe: since a number") << true << QByteArray(R"({"op":"subscribe","since":3})")
                                               << QStringLiteral("since: must be a string");
    QTest::newRow("subscribe: too big")
        << true << (QByteArray(R"({"op":"subscribe","since":")") + QByteArray(20000, 'x') + "\"}")
        << QStringLiteral("message: over 16384 bytes");
    QTest::newRow("event: no type") << false << QByteArray(R"({"cursor":"c"})")
                                    << QStringLiteral("type: must be a string");
    QTest::newRow("event: unknown type") << false << QByteArray(R"({"type":"deleted","cursor":"c"})")
                                         << QStringLiteral("type: unknown message type \"deleted\"");
    QTest::newRow("changed: empty cursor") << false << QByteArray(R"({"type":"changed","cursor":"","tasks":[]})")
                                           << QStringLiteral("cursor: must be a non-empty string");
    QTest::newRow("changed: tasks an object") << false << QByteArray(R"({"type":"changed","cursor":"c","tasks":{}})")
                                              << QStringLiteral("tasks: must be an array");
    QTest::newRow("changed: task without id")
        << false << QByteArray(R"({"type":"changed","cursor":"c","tasks":[{"type":"t"}]})")
        << QStringLiteral("tasks[0].id");
    QTest::newRow("bookmark: no interval") << false << QByteArray(R"({"type":"bookmark","cursor":"c"})")
                                           << QStringLiteral("intervalMs: must be an integer from 1 to 3600000");
    QTest::newRow("bookmark: fractional interval")
        << false << QByteArray(R"({"type":"bookmark","cursor":"c","intervalMs":2.5})")
        << QStringLiteral("intervalMs: must be an integer from 1 to 3600000");
}

void TestWatch::badMessages()
{
    QFETCH(bool, fromClient);
    QFETCH(QByteArray, message);
    QFETCH(QString, error);
    const QString got = fromClient ? WatchProtocol::decodeSubscribe(message).error().message
                                   : WatchProtocol::decodeEvent(message).error().message;
    QVERIFY2(got.startsWith(error), qPrintable(got));
}

void TestWatch::subscribesFromTheSnapshotCursorAndStopsPolling()
{
    goLive();
    QCOMPARE(m_changed->first().at(1).toBool(), true); // the snapshot
    // Polling stopped: a minute passes with bookmarks arriving, and nothing is requested.
    for (int i = 0; i < 60; ++i) {
        m_clock->advance(Duration(1000));
        channel()->handlers.message(WatchProtocol::bookmark(QStringLiteral("c1"), 1000));
    }
    QCOMPARE(m_transport->held.size(), size_t(0));
    QCOMPARE(m_poller->pushFailures(), 0);
    QCOMPARE(m_changed->size(), 1);
    // An operator action's poke is not needed while push carries the changes.
    m_poller->poke();
    m_clock->advance(Duration(100));
    QCOMPARE(m_transport->held.size(), size_t(0));
}

void TestWatch::changesMoveTheCursorAndAClosePollsFromIt()
{
    goLive();
    channel()->handlers.message(
        WatchProtocol::changed(QStringLiteral("c2"), json({task(QStringLiteral("a"), 2)})));
    QCOMPARE(m_changed->size(), 2);
    QCOMPARE(m_changed->last().at(1).toBool(), false);
    const auto got = m_changed->last().at(0).value<QList<RemoteTask>>();
    QCOMPARE(got.size(), 1);
    QCOMPARE(got[0].version, 2);
    channel()->handlers.message(
        WatchProtocol::changed(QStringLiteral("c3"), json({task(QStringLiteral("b"), 1)})));
    // The connection drops: a poll from the cursor of the last message applied, at once.
    channel()->handlers.closed(QStringLiteral("closed (code 1006)"));
    QVERIFY(!m_poller->status().push);
    QCOMPARE(m_poller->status().pushError, QStringLiteral("closed (code 1006)"));
    m_clock->advance(Duration(0));
    QCOMPARE(m_transport->held.size(), size_t(1));
    QCOMPARE(m_transport->since(), QStringLiteral("c3"));
    QCOMPARE(m_poller->pushFailures(), 1);
}

void TestWatch::missingBookmarkFallsBackAndPushReturns()
{
    goLive();
    // Promised every 1000 ms: silence for 2 x 1000 + 1000 ms is a dead stream.
    m_clock->advance(Duration(2999));
    QVERIFY(m_poller->status().push);
    QCOMPARE(m_transport->held.size(), size_t(0));
    m_clock->advance(Duration(1));
    QVERIFY(!m_poller->status().push);
    QCOMPARE(m_poller->status().pushError, QStringLiteral("no bookmark for 3000 ms"));
    QCOMPARE(m_transport->held.size(), size_t(1));
    QCOMPARE(m_transport->since(), QStringLiteral("c1"));
    QVERIFY(channel()->alive); // destroyed later, off the stack of its own handler
    QCoreApplication::processEvents();
    QVERIFY(!channel()->alive);
    // Push again after the backoff: equal jitter of 1000 ms at u = 0.5 is 750 ms.
    QCOMPARE(*m_poller->status().pushRetryAt, m_clock->steadyNow() + Duration(750));
    m_transport->answerList({}, QStringLiteral("c1"));
    QCOMPARE(m_transport->channels.size(), 1); // not before the backoff
    m_clock->advance(Duration(750));
    QCOMPARE(m_transport->channels.size(), 2);
    channel()->handlers.opened();
    QCOMPARE(channel()->sent, QList<QByteArray>{WatchProtocol::subscribe(QStringLiteral("c1"))});
}

void TestWatch::resyncPagesASnapshotThenSubscribesAgain()
{
    goLive();
    channel()->handlers.message(WatchProtocol::resync(QStringLiteral("cursor expired")));
    QVERIFY(!m_poller->status().push);
    m_clock->advance(Duration(0));
    QCOMPARE(m_transport->held.size(), size_t(1));
    QCOMPARE(m_transport->since(), QString()); // a full snapshot, paged
    m_transport->answerList({task(QStringLiteral("a"), 5)}, QStringLiteral("p1"), true);
    m_clock->advance(Duration(0));
    QCOMPARE(m_transport->channels.size(), 1); // not in the middle of the snapshot
    QCOMPARE(m_transport->since(), QStringLiteral("p1"));
    m_transport->answerList({task(QStringLiteral("b"), 5)}, QStringLiteral("s1"));
    QCOMPARE(m_changed->last().at(1).toBool(), true);
    QCOMPARE(m_changed->last().at(0).value<QList<RemoteTask>>().size(), 2);
    // Straight back to push from the snapshot's cursor; a resync is no failure.
    QCOMPARE(m_transport->channels.size(), 2);
    channel()->handlers.opened();
    QCOMPARE(channel()->sent, QList<QByteArray>{WatchProtocol::subscribe(QStringLiteral("s1"))});
    QCOMPARE(m_poller->pushFailures(), 0);
}

void TestWatch::openedWhileAPollIsInFlightSubscribesAfterIt()
{
    m_poller->start();
    m_clock->advance(Duration(0));
    m_transport->answerList({task(QStringLiteral("a"), 1)}, QStringLiteral("c1"));
    QCOMPARE(m_transport->channels.size(), 1);
    // The upgrade takes a while; the next poll goes out meanwhile.
    m_clock->advance(Duration(500));
    QCOMPARE(m_transport->held.size(), size_t(1));
    channel()->handlers.opened();
    QVERIFY(channel()->sent.isEmpty()); // not from c1: that poll may bring changes after it
    m_transport->answerList({task(QStringLiteral("a"), 2)}, QStringLiteral("c2"));
    QCOMPARE(channel()->sent, QList<QByteArray>{WatchProtocol::subscribe(QStringLiteral("c2"))});
    m_clock->advance(Duration(5000));
    QCOMPARE(m_transport->held.size(), size_t(0)); // and polling stopped
}

void TestWatch::malformedEventFallsBack()
{
    goLive();
    channel()->handlers.message(QByteArray(R"({"type":"changed","cursor":"c2","tasks":[{}]})"));
    QVERIFY(!m_poller->status().push);
    QVERIFY2(m_poller->status().pushError.startsWith(
                 QStringLiteral("malformed message: tasks[0].id")),
             qPrintable(m_poller->status().pushError));
    QCOMPARE(m_changed->size(), 1); // nothing of it applied
    m_clock->advance(Duration(0));
    QCOMPARE(m_transport->since(), QStringLiteral("c1"));
}

void TestWatch::refusedUpgradeBacksOffWhilePollingGoesOn()
{
    m_poller->start();
    m_clock->advance(Duration(0));
    m_transport->answerList({}, QStringLiteral("c1"));
    // Each refusal doubles the wait (equal jitter at u = 0.5: 750, 1500, 3000 ms).
    QList<std::int64_t> waits;
    for (int i = 0; i < 3; ++i) {
        QCOMPARE(m_transport->channels.size(), i + 1);
        channel()->handlers.closed(QStringLiteral("HTTP 404"));
        waits << toMs(*m_poller->status().pushRetryAt - m_clock->steadyNow());
        // Polling carries on at its own pace meanwhile; push is tried when its time comes.
        const SteadyTime retryAt = *m_poller->status().pushRetryAt;
        while (m_clock->steadyNow() < retryAt) {
            m_clock->advance(Duration(100));
            while (!m_transport->held.empty())
                m_transport->answerList({}, QStringLiteral("c1"));
        }
    }
    QCOMPARE(waits, (QList<std::int64_t>{750, 1500, 3000}));
    QCOMPARE(m_poller->pushFailures(), 3);
    QVERIFY(!m_poller->status().push);
}

void TestWatch::transportWithoutPushOnlyPolls()
{
    m_transport->push = false;
    m_poller->start();
    m_clock->advance(Duration(0));
    m_transport->answerList({}, QStringLiteral("c1"));
    m_clock->advance(Duration(500));
    QCOMPARE(m_transport->held.size(), size_t(1));
    QCOMPARE(m_transport->since(), QStringLiteral("c1"));
    QVERIFY(!m_poller->status().push);
    QVERIFY(m_poller->status().pushError.isEmpty());
}

void TestWatch::liveStatusAndText()
{
    EndpointStatus s;
    s.pollInterval = Duration(2000);
    QCOMPARE(transportText(s), QStringLiteral("polling 2 s"));
    s.pollInterval = Duration(500);
    QCOMPARE(transportText(s), QStringLiteral("polling 0.5 s"));
    goLive();
    QCOMPARE(transportText(m_poller->status()), QStringLiteral("live (push)"));
}

QTEST_GUILESS_MAIN(TestWatch)
#include "tst_watch.moc"
