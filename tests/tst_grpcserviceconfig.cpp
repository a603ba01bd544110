#include "policy/GrpcServiceConfig.h"
#include "policy/PolicyDocument.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

using namespace rebound;

class TestGrpcServiceConfig final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void importServiceConfig();
    void importErrors_data();
    void importErrors();
    void exportPolicy();
    void exportRefusesInexpressible();
    void roundTrip();
    void codeMapping_data();
    void codeMapping();
    void durations_data();
    void durations();
    void importStaysWithinDocumentLimits();
};

void TestGrpcServiceConfig::importServiceConfig()
{
    const QByteArray json = R"({
      "loadBalancingConfig": [{"round_robin": {}}],
      "methodConfig": [
        {"name": [{"service": "sms", "method": "send"}, {"service": "pdf"}],
         "retryPolicy": {"maxAttempts": 4, "initialBackoff": "0.1s", "maxBackoff": "1.5s",
                         "backoffMultiplier": 2, "retryableStatusCodes": ["UNAVAILABLE", "resource_exhausted", 4]}},
        {"name": [{}], "timeout": "2s"},
        {"name": [{}], "retryPolicy": {"maxAttempts": 2, "initialBackoff": "1s", "maxBackoff": "1s",
                                        "backoffMultiplier": 1, "retryableStatusCodes": ["INTERNAL"]}}
      ]})";
    const GrpcImport imp = GrpcServiceConfig::importJson(json);
    QVERIFY2(imp.set, qPrintable(imp.errors.join(u'\n')));
    QCOMPARE(imp.set->policies.size(), 2);
    QCOMPARE(imp.warnings.size(), 1); // the methodConfig without retryPolicy
    const RetryPolicy &a = imp.set->policies[0];
    QCOMPARE(a.matchTypes, (QStringList{QStringLiteral("sms.send"), QStringLiteral("pdf.*")}));
    QCOMPARE(a.backoff.maxAttempts, 4);
    QCOMPARE(a.backoff.initialDelayMs, 100.0);
    QCOMPARE(a.backoff.maxDelayMs, 1500.0);
    QCOMPARE(a.backoff.multiplier, 2.0);
    QCOMPARE(a.backoff.jitter, JitterMode::Full);
    QCOMPARE(a.classification.retryableStatusCodes, (QList<int>{429, 503, 504}));
    QCOMPARE(a.classification.nonRetryableStatusCodes, (QList<int>{408, 425, 500, 502}));
    QVERIFY(a.classification.retryTimeouts);
    const RetryPolicy &b = imp.set->policies[1];
    QCOMPARE(b.matchTypes, QStringList{QStringLiteral("*")});
    QVERIFY(!b.classification.retryTimeouts);
    QVERIFY(b.matches(u"anything"));
    // The imported set is a valid Rebound document.
    QVERIFY(PolicyDocument::parse(PolicyDocument::serialize(*imp.set)).ok());
}

void TestGrpcServiceConfig::importErrors_data()
{
    QTest::addColumn<QByteArray>("retryPolicy");
    QTest::addColumn<QString>("error");
    const QByteArray ok =
        R"("initialBackoff":"0.1s","maxBackoff":"1s","backoffMultiplier":2,"retryableStatusCodes":["UNAVAILABLE"])";
    QTest::newRow("maxAttempts 1")
        << QByteArray(R"({"maxAttempts":1,)" + ok + "}")
        << QStringLiteral("methodConfig[0].retryPolicy.maxAttempts: must be an integer ≥ 2");
    QTest::newRow("bad duration")
        << QByteArray(
               R"({"maxAttempts":3,"initialBackoff":"100ms","maxBackoff":"1s","backoffMultiplier":2,"retryableStatusCodes":["UNAVAILABLE"]})")
        << QStringLiteral("methodConfig[0].retryPolicy.initialBackoff: must be a positive duration "
                          "such as \"0.1s\"");
    QTest::newRow("unknown code")
        << QByteArray(
               R"({"maxAttempts":3,"initialBackoff":"0.1s","maxBackoff":"1s","backoffMultiplier":2,"retryableStatusCodes":["FLAKY"]})")
        << QStringLiteral(
               "methodConfig[0].retryPolicy.retryableStatusCodes[0]: not a gRPC status code");
    QTest::newRow("no codes")
        << QByteArray(
               R"({"maxAttempts":3,"initialBackoff":"0.1s","maxBackoff":"1s","backoffMultiplier":2,"retryableStatusCodes":[]})")
        << QStringLiteral(
               "methodConfig[0].retryPolicy.retryableStatusCodes: must be a non-empty array");
    QTest::newRow("multiplier < 1")
        << QByteArray(
               R"({"maxAttempts":3,"initialBackoff":"0.1s","maxBackoff":"1s","backoffMultiplier":0.5,"retryableStatusCodes":["UNAVAILABLE"]})")
        << QStringLiteral("methodConfig[0].retryPolicy.backoffMultiplier: must be a number ≥ 1");
    // Found by fuzz_grpc: a duration gRPC allows but Rebound's schema does not (7 days at most)
    // made an import that Rebound itself refused.
    QTest::newRow("maxBackoff beyond Rebound's longest delay")
        << QByteArray(
               R"({"maxAttempts":3,"initialBackoff":"0.1s","maxBackoff":"13333333s","backoffMultiplier":2,"retryableStatusCodes":["UNAVAILABLE"]})")
        << QStringLiteral("methodConfig[0].retryPolicy.maxBackoff: must be at most 604800s "
                          "(Rebound's longest delay)");
}

void TestGrpcServiceConfig::importErrors()
{
    QFETCH(QByteArray, retryPolicy);
    QFETCH(QString, error);
    const GrpcImport imp = GrpcServiceConfig::importJson(
        R"({"methodConfig":[{"name":[{}],"retryPolicy":)" + retryPolicy + "}]}");
    QVERIFY(!imp.set);
    QCOMPARE(imp.errors, QStringList{error});
}

void TestGrpcServiceConfig::exportPolicy()
{
    RetryPolicy p;
    p.name = QStringLiteral("x");
    p.matchTypes = {QStringLiteral("sms.send"), QStringLiteral("pdf.*"), QStringLiteral("*")};
    p.backoff.maxAttempts = 3;
    p.backoff.initialDelayMs = 200;
    p.backoff.maxDelayMs = 30'000;
    p.backoff.multiplier = 1.5;
    const GrpcExport exp = GrpcServiceConfig::exportPolicy(p);
    QVERIFY2(exp.serviceConfig, qPrintable(exp.errors.join(u'\n')));
    const QJsonObject mc =
        exp.serviceConfig->value(QStringLiteral("methodConfig")).toArray().first().toObject();
    const QJsonArray names = mc.value(QStringLiteral("name")).toArray();
    QCOMPARE(names.size(), 3);
    QCOMPARE(names[0].toObject(),
             (QJsonObject{{QStringLiteral("service"), QStringLiteral("sms")},
                          {QStringLiteral("method"), QStringLiteral("send")}}));
    QCOMPARE(names[1].toObject(),
             (QJsonObject{{QStringLiteral("service"), QStringLiteral("pdf")}}));
    QCOMPARE(names[2].toObject(), QJsonObject{});
    const QJsonObject rp = mc.value(QStringLiteral("retryPolicy")).toObject();
    QCOMPARE(rp.value(QStringLiteral("maxAttempts")).toInt(), 3);
    QCOMPARE(rp.value(QStringLiteral("initialBackoff")).toString(), QStringLiteral("0.2s"));
    QCOMPARE(rp.value(QStringLiteral("maxBackoff")).toString(), QStringLiteral("30s"));
    QCOMPARE(rp.value(QStringLiteral("backoffMultiplier")).toDouble(), 1.5);
    QCOMPARE(rp.value(QStringLiteral("retryableStatusCodes")).toArray(),
             (QJsonArray{QStringLiteral("RESOURCE_EXHAUSTED"), QStringLiteral("INTERNAL"),
                         QStringLiteral("UNAVAILABLE"), QStringLiteral("DEADLINE_EXCEEDED")}));
    // 408 and 425 are retryable by default but have no gRPC code: said so, not silently dropped.
    QCOMPARE(exp.warnings.filter(QStringLiteral("no gRPC status code")).size(), 2);
}

void TestGrpcServiceConfig::exportRefusesInexpressible()
{
    RetryPolicy p;
    p.name = QStringLiteral("x");
    p.matchTypes = {QStringLiteral("*.render")};
    p.backoff.maxAttempts = 1;
    const GrpcExport exp = GrpcServiceConfig::exportPolicy(p);
    QVERIFY(!exp.serviceConfig);
    QCOMPARE(exp.errors.size(), 2);
    QVERIFY(exp.errors[0].startsWith(QStringLiteral("match.type \"*.render\"")));
    QVERIFY(exp.errors[1].startsWith(QStringLiteral("backoff.maxAttempts")));
}

void TestGrpcServiceConfig::roundTrip()
{
    const QByteArray json = R"({"methodConfig":[{"name":[{"service":"billing","method":"Charge"}],
        "retryPolicy":{"maxAttempts":5,"initialBackoff":"0.25s","maxBackoff":"10s","backoffMultiplier":3,
                       "retryableStatusCodes":["UNAVAILABLE","ABORTED"]}}]})";
    const GrpcImport imp = GrpcServiceConfig::importJson(json);
    QVERIFY(imp.set);
    const GrpcExport exp = GrpcServiceConfig::exportPolicy(imp.set->policies.first());
    QVERIFY2(exp.serviceConfig, qPrintable(exp.errors.join(u'\n')));
    const QJsonObject original = QJsonDocument::fromJson(json).object();
    QCOMPARE(exp.serviceConfig->value(QStringLiteral("methodConfig"))
                 .toArray()
                 .first()
                 .toObject()
                 .value(QStringLiteral("name")),
             original.value(QStringLiteral("methodConfig"))
                 .toArray()
                 .first()
                 .toObject()
                 .value(QStringLiteral("name")));
    const QJsonObject rp = exp.serviceConfig->value(QStringLiteral("methodConfig"))
                               .toArray()
                               .first()
                               .toObject()
                               .value(QStringLiteral("retryPolicy"))
                               .toObject();
    QCOMPARE(rp.value(QStringLiteral("retryableStatusCodes")).toArray(),
             (QJsonArray{QStringLiteral("ABORTED"), QStringLiteral("UNAVAILABLE")}));
    QCOMPARE(rp.value(QStringLiteral("initialBackoff")).toString(), QStringLiteral("0.25s"));
    QCOMPARE(rp.value(QStringLiteral("maxBackoff")).toString(), QStringLiteral("10s"));
    QCOMPARE(rp.value(QStringLiteral("maxAttempts")).toInt(), 5);
    QCOMPARE(rp.value(QStringLiteral("backoffMultiplier")).toDouble(), 3.0);
}

void TestGrpcServiceConfig::codeMapping_data()
{
    QTest::addColumn<QString>("code");
    QTest::addColumn<int>("http");
    QTest::newRow("UNAVAILABLE") << "UNAVAILABLE" << 503;
    QTest::newRow("RESOURCE_EXHAUSTED") << "RESOURCE_EXHAUSTED" << 429;
    QTest::newRow("DEADLINE_EXCEEDED") << "DEADLINE_EXCEEDED" << 504;
    QTest::newRow("INTERNAL") << "INTERNAL" << 500;
    QTest::newRow("UNIMPLEMENTED") << "UNIMPLEMENTED" << 501;
    QTest::newRow("UNAUTHENTICATED") << "UNAUTHENTICATED" << 401;
    QTest::newRow("PERMISSION_DENIED") << "PERMISSION_DENIED" << 403;
    QTest::newRow("NOT_FOUND") << "NOT_FOUND" << 404;
    QTest::newRow("ABORTED") << "ABORTED" << 409;
    QTest::newRow("INVALID_ARGUMENT") << "INVALID_ARGUMENT" << 400;
}

void TestGrpcServiceConfig::codeMapping()
{
    QFETCH(QString, code);
    QFETCH(int, http);
    QCOMPARE(GrpcServiceConfig::httpForCode(code), std::optional<int>(http));
    QCOMPARE(GrpcServiceConfig::codeForHttp(http), code);
}

void TestGrpcServiceConfig::durations_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<double>("ms"); // -1 invalid
    QTest::newRow("1s") << "1s" << 1000.0;
    QTest::newRow("0.1s") << "0.1s" << 100.0;
    QTest::newRow("1.000000001s") << "1.000000001s" << 1000.000001;
    QTest::newRow("ms suffix") << "100ms" << -1.0;
    QTest::newRow("no unit") << "1" << -1.0;
    QTest::newRow("negative") << "-1s" << -1.0;
    QTest::newRow("ten fraction digits") << "0.1234567891s" << -1.0;
}

void TestGrpcServiceConfig::durations()
{
    QFETCH(QString, text);
    QFETCH(double, ms);
    const auto d = GrpcServiceConfig::parseDurationMs(QJsonValue(text));
    if (ms < 0) {
        QVERIFY(!d);
    } else {
        QVERIFY(d);
        QVERIFY(std::abs(*d - ms) < 1e-6);
    }
    QCOMPARE(GrpcServiceConfig::formatDurationMs(1500), QStringLiteral("1.5s"));
    QCOMPARE(*GrpcServiceConfig::parseDurationMs(
                 QJsonObject{{QStringLiteral("seconds"), 2}, {QStringLiteral("nanos"), 500000000}}),
             2500.0);
}

void TestGrpcServiceConfig::importStaysWithinDocumentLimits()
{
    // Regression (fuzz_grpc): many long service names made a policy name longer than a Rebound
    // document allows, so the import was not a valid document.
    const auto config = [](int configs, int namesEach, int serviceLength) {
        QJsonArray mcs;
        for (int i = 0; i < configs; ++i) {
            QJsonArray names;
            for (int k = 0; k < namesEach; ++k)
                names.append(QJsonObject{
                    {QStringLiteral("service"),
                     QStringLiteral("s%1-%2-").arg(i).arg(k) + QString(serviceLength, u'x')}});
            mcs.append(
                QJsonObject{{QStringLiteral("name"), names},
                            {QStringLiteral("retryPolicy"),
                             QJsonObject{{QStringLiteral("maxAttempts"), 3},
                                         {QStringLiteral("initialBackoff"), QStringLiteral("0.1s")},
                                         {QStringLiteral("maxBackoff"), QStringLiteral("1s")},
                                         {QStringLiteral("backoffMultiplier"), 2},
                                         {QStringLiteral("retryableStatusCodes"),
                                          QJsonArray{QStringLiteral("UNAVAILABLE")}}}}});
        }
        return QJsonDocument(QJsonObject{{QStringLiteral("methodConfig"), mcs}}).toJson();
    };
    GrpcImport imp = GrpcServiceConfig::importJson(config(2, 5, 80));
    QVERIFY(imp.set.has_value());
    for (const RetryPolicy &p : imp.set->policies)
        QVERIFY(p.name.size() <= PolicyDocument::kMaxNameLength);
    QVERIFY(imp.set->policies[0].name.endsWith(QStringLiteral("…#0")));
    QVERIFY(imp.set->policies[1].name.endsWith(QStringLiteral("…#1")));
    QVERIFY(PolicyDocument::parse(PolicyDocument::serialize(*imp.set)).ok());

    imp = GrpcServiceConfig::importJson(config(1001, 1, 1));
    QVERIFY(!imp.set.has_value());
    QCOMPARE(imp.errors, QStringList{QStringLiteral("methodConfig: 1001 entries, at most 1000")});
    imp = GrpcServiceConfig::importJson(config(1, 1001, 1));
    QVERIFY(!imp.set.has_value());
    QCOMPARE(imp.errors,
             QStringList{QStringLiteral("methodConfig[0].name: 1001 entries, at most 1000")});
}

QTEST_APPLESS_MAIN(TestGrpcServiceConfig)
#include "tst_grpcserviceconfig.moc"
