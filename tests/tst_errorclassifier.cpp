#include "decision/ErrorClassifier.h"

#include <QTest>

using namespace rebound;

class TestErrorClassifier final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void defaults_data();
    void defaults();
    void overrides_data();
    void overrides();
    void problemParsing_data();
    void problemParsing();
    void malformedProblem();
};

void TestErrorClassifier::defaults_data()
{
    QTest::addColumn<int>("transport");
    QTest::addColumn<int>("status");
    QTest::addColumn<int>("errorClass");
    QTest::addColumn<bool>("retryable");
    const int none = int(TransportError::None);
    const int T = int(ErrorClass::Transient), B = int(ErrorClass::Business),
              S = int(ErrorClass::Systemic);
    for (int s : {408, 425, 429, 500, 502, 503, 504})
        QTest::addRow("http %d", s) << none << s << T << true;
    for (int s : {400, 401, 403, 404, 409, 422})
        QTest::addRow("http %d", s) << none << s << B << false;
    for (int s : {501, 505})
        QTest::addRow("http %d", s) << none << s << S << false;
    QTest::newRow("http 418 other 4xx") << none << 418 << B << false;
    QTest::newRow("http 507 other 5xx") << none << 507 << T << true;
    QTest::newRow("timeout") << int(TransportError::Timeout) << 0 << T << true;
    QTest::newRow("refused") << int(TransportError::ConnectionRefused) << 0 << T << true;
    QTest::newRow("reset") << int(TransportError::ConnectionReset) << 0 << T << true;
    QTest::newRow("host not found") << int(TransportError::HostNotFound) << 0 << T << true;
    QTest::newRow("tls") << int(TransportError::Tls) << 0 << S << false;
    QTest::newRow("reset after status") << int(TransportError::ConnectionReset) << 200 << T << true;
}

void TestErrorClassifier::defaults()
{
    QFETCH(int, transport);
    QFETCH(int, status);
    QFETCH(int, errorClass);
    QFETCH(bool, retryable);
    Failure f;
    f.transport = static_cast<TransportError>(transport);
    f.httpStatus = status;
    const Classification c = ErrorClassifier::classify(f);
    QCOMPARE(int(c.errorClass), errorClass);
    QCOMPARE(c.retryable, retryable);
    QVERIFY(!c.reason.isEmpty());
}

void TestErrorClassifier::overrides_data()
{
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("problemType");
    QTest::addColumn<int>("transport");
    QTest::addColumn<bool>("retryable");
    QTest::newRow("409 made retryable") << 409 << QString() << 0 << true;
    QTest::newRow("503 made final") << 503 << QString() << 0 << false;
    QTest::newRow("problem type wins over status")
        << 409 << QStringLiteral("urn:x:quota") << 0 << false;
    QTest::newRow("retryable problem on 400")
        << 400 << QStringLiteral("urn:x:warming-up") << 0 << true;
    QTest::newRow("unrelated problem") << 502 << QStringLiteral("urn:x:other") << 0 << true;
    QTest::newRow("timeouts off") << 0 << QString() << int(TransportError::Timeout) << false;
}

void TestErrorClassifier::overrides()
{
    QFETCH(int, status);
    QFETCH(QString, problemType);
    QFETCH(int, transport);
    QFETCH(bool, retryable);
    ClassificationConfig cfg;
    cfg.retryableStatusCodes = {409};
    cfg.nonRetryableStatusCodes = {503};
    cfg.nonRetryableProblemTypes = {QStringLiteral("urn:x:quota")};
    cfg.retryableProblemTypes = {QStringLiteral("urn:x:warming-up")};
    cfg.retryTimeouts = false;
    Failure f;
    f.httpStatus = status;
    f.transport = static_cast<TransportError>(transport);
    if (!problemType.isEmpty()) {
        ProblemDetails p;
        p.type = problemType;
        f.problem = p;
    }
    QCOMPARE(ErrorClassifier::classify(f, cfg).retryable, retryable);
}

void TestErrorClassifier::problemParsing_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("type");
    QTest::addColumn<QString>("title");
    QTest::addColumn<int>("status"); // 0: absent
    QTest::addColumn<QString>("detail");
    QTest::addColumn<QString>("instance");
    QTest::newRow("full")
        << QByteArray(
               R"({"type":"urn:rebound:problem:rate-limited","title":"Slow down","status":429,"detail":"10 req/s","instance":"/v1/tasks/7","extra":{"a":1}})")
        << QStringLiteral("urn:rebound:problem:rate-limited") << QStringLiteral("Slow down") << 429
        << QStringLiteral("10 req/s") << QStringLiteral("/v1/tasks/7");
    QTest::newRow("empty object") << QByteArray("{}") << QStringLiteral("about:blank") << QString()
                                  << 0 << QString() << QString();
    // Wrong-typed members are ignored (RFC 9457 §3.1).
    QTest::newRow("wrong types")
        << QByteArray(R"({"type":5,"title":["x"],"status":"503","detail":null,"instance":{}})")
        << QStringLiteral("about:blank") << QString() << 0 << QString() << QString();
    QTest::newRow("fractional status")
        << QByteArray(R"({"status":503.5})") << QStringLiteral("about:blank") << QString() << 0
        << QString() << QString();
    QTest::newRow("out of range status")
        << QByteArray(R"({"status":42})") << QStringLiteral("about:blank") << QString() << 0
        << QString() << QString();
    QTest::newRow("unicode") << QByteArray(R"({"title":"Überlastet ⚠"})")
                             << QStringLiteral("about:blank") << QStringLiteral("Überlastet ⚠") << 0
                             << QString() << QString();
}

void TestErrorClassifier::problemParsing()
{
    QFETCH(QByteArray, body);
    QFETCH(QString, type);
    QFETCH(QString, title);
    QFETCH(int, status);
    QFETCH(QString, detail);
    QFETCH(QString, instance);
    const auto p = ProblemDetails::parse(body);
    QVERIFY(p.ok());
    QCOMPARE(p->type, type);
    QCOMPARE(p->title, title);
    QCOMPARE(p->status.value_or(0), status);
    QCOMPARE(p->detail, detail);
    QCOMPARE(p->instance, instance);
    QCOMPARE(ProblemDetails::fromJson(p->toJson()), *p);
}

void TestErrorClassifier::malformedProblem()
{
    for (const QByteArray &body : {QByteArray("<html>oops</html>"), QByteArray("[1,2]"),
                                   QByteArray(""), QByteArray("{\"type\":")}) {
        const auto p = ProblemDetails::parse(body);
        QVERIFY(!p.ok());
        QCOMPARE(p.error().code, QStringLiteral("malformed-problem"));
    }
}

QTEST_APPLESS_MAIN(TestErrorClassifier)
#include "tst_errorclassifier.moc"
