// How a fleet member's decision travels through Redis: exact round trips, and records that are
// refused with what is wrong.
#include "fleet/DecisionCodec.h"

#include <QTest>

using namespace rebound;

Q_DECLARE_METATYPE(rebound::SharedDecision)

class TestDecisionCodec final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void roundTrip_data();
    void roundTrip();
    void refused_data();
    void refused();
    void batchCarriesWithdrawals();
};

void TestDecisionCodec::roundTrip_data()
{
    QTest::addColumn<SharedDecision>("decision");
    const auto base = [] {
        SharedDecision d;
        d.endpoint = QStringLiteral("https://tasks.example");
        d.taskId = QStringLiteral("job:42/é a%");
        d.member = QStringLiteral("watch-2");
        d.attempt = 3;
        d.decidedWallMs = 1'767'225'600'123;
        return d;
    };
    SharedDecision retry = base();
    retry.dueWallMs = 1'767'225'602'123;
    QTest::newRow("retry at a time") << retry;
    SharedDecision breaker = base();
    breaker.kind = SharedDecision::Kind::Defer;
    breaker.deferReason = DeferReason::BreakerOpen;
    breaker.dueWallMs = 1'767'225'605'000;
    QTest::newRow("deferred: breaker") << breaker;
    SharedDecision unhealthy = breaker;
    unhealthy.deferReason = DeferReason::Unhealthy;
    unhealthy.healthScore = 0.75;
    unhealthy.unhealthyScore = 0.5;
    unhealthy.errorRate = 0.4;
    unhealthy.meanLatencyMs = 812.5;
    QTest::newRow("deferred: unhealthy, with its evidence") << unhealthy;
    SharedDecision paused = base();
    paused.kind = SharedDecision::Kind::Defer;
    paused.deferReason = DeferReason::Paused;
    QTest::newRow("deferred: paused, no end") << paused;
    SharedDecision stop = base();
    stop.kind = SharedDecision::Kind::Stop;
    stop.stopReason = StopReason::DeadlineExceeded;
    QTest::newRow("stopped: deadline") << stop;
}

void TestDecisionCodec::roundTrip()
{
    QFETCH(SharedDecision, decision);
    const auto back = DecisionCodec::decode(DecisionCodec::encode(decision));
    QVERIFY2(back, qPrintable(back ? QString() : back.error().message));
    QVERIFY(*back == decision);
}

void TestDecisionCodec::refused_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("says");
    QTest::newRow("not JSON") << QByteArray("{") << QStringLiteral("not a JSON object");
    QTest::newRow("no task id") << QByteArray(R"({"e":"http://a","m":"w","a":1,"k":"retry"})")
                                << QStringLiteral("must be non-empty");
    QTest::newRow("attempt 0") << QByteArray(R"({"e":"http://a","i":"t","m":"w","a":0,"k":"retry"})")
                               << QStringLiteral("attempt number");
    QTest::newRow("unknown kind")
        << QByteArray(R"({"e":"http://a","i":"t","m":"w","a":1,"k":"maybe"})")
        << QStringLiteral("unknown kind \"maybe\"");
    QTest::newRow("unknown deferral")
        << QByteArray(R"({"e":"http://a","i":"t","m":"w","a":1,"k":"defer","r":"moon"})")
        << QStringLiteral("unknown deferral reason \"moon\"");
    QTest::newRow("stop without reason")
        << QByteArray(R"({"e":"http://a","i":"t","m":"w","a":1,"k":"stop"})")
        << QStringLiteral("unknown stop reason \"\"");
}

void TestDecisionCodec::refused()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, says);
    const auto d = DecisionCodec::decode(json);
    QVERIFY(!d);
    QVERIFY2(d.error().message.contains(says), qPrintable(d.error().message));
}

void TestDecisionCodec::batchCarriesWithdrawals()
{
    SharedDecision d;
    d.endpoint = QStringLiteral("http://a");
    d.taskId = QStringLiteral("t1");
    d.member = QStringLiteral("m1");
    d.attempt = 2;
    d.dueWallMs = 5000;
    DecisionCodec::Change gone;
    gone.gone = true;
    gone.decision.endpoint = QStringLiteral("http://a");
    gone.decision.taskId = QStringLiteral("t2");
    gone.decision.member = QStringLiteral("m1");
    const auto back = DecisionCodec::decodeBatch(DecisionCodec::encodeBatch({{d, false}, gone}));
    QVERIFY(back);
    QCOMPARE(back->size(), 2);
    QVERIFY(!back->at(0).gone && back->at(0).decision == d);
    QVERIFY(back->at(1).gone);
    QCOMPARE(back->at(1).decision.taskId, QStringLiteral("t2"));
    QVERIFY(!DecisionCodec::decodeBatch(R"([{"gone":true}])"));
    QVERIFY(!DecisionCodec::decodeBatch(R"({"e":"x"})"));
    QCOMPARE(DecisionCodec::field(QStringLiteral("http://a"), QStringLiteral("é")),
             QByteArray("http://a\n\xc3\xa9"));
}

QTEST_GUILESS_MAIN(TestDecisionCodec)
#include "tst_decisioncodec.moc"
