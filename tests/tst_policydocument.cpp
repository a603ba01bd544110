#include "policy/JsonTextEdit.h"
#include "policy/PolicyDocument.h"
#include "policy/PolicySchema.h"
#include "support/Glob.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace rebound;

class TestPolicyDocument final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void minimalDocumentGetsDefaults();
    void everyErrorIsReported();
    void errors_data();
    void errors();
    void roundTrip();
    void policySelection();
    void glob_data();
    void glob();
    void notJsonAndTooBig();
    void absurdDocuments_data();
    void absurdDocuments();
    void schemaFieldsRoundTripAtTheirLimits_data();
    void schemaFieldsRoundTripAtTheirLimits();
    void schemaFieldsRefuseOutOfRange_data();
    void schemaFieldsRefuseOutOfRange();
    void textEditChangesOneValue_data();
    void textEditChangesOneValue();
};

void TestPolicyDocument::minimalDocumentGetsDefaults()
{
    const PolicyValidation v = PolicyDocument::parse(R"({"version":1,"policies":[{"name":"a"}]})");
    QVERIFY2(v.ok(), qPrintable(v.errors.join(u'\n')));
    QCOMPARE(v.set->policies.size(), 1);
    RetryPolicy expected;
    expected.name = QStringLiteral("a");
    QCOMPARE(v.set->policies.first(), expected);
    QCOMPARE(v.set->policies.first().backoff.maxRetryAfterMs, 300'000);
    QCOMPARE(v.set->policies.first().health.errorWeight, 0.6);
    QCOMPARE(v.set->policies.first().breaker.minimumNumberOfCalls, 20);
}

void TestPolicyDocument::everyErrorIsReported()
{
    const QByteArray doc = R"({
      "version": 1,
      "policies": [
        {"name": "a", "backoff": {"multiplier": 0.5, "maxAttempts": 2.5}},
        {"name": "a", "breaker": {"failureRateThreshold": 120, "windowType": "sliding"}},
        {"backoff": {"jitter": "wild", "multipler": 2}},
        {"name": "d", "match": {"type": 7}, "timeout": {"floorMs": 500, "ceilingMs": 100}}
      ],
      "extra": true
    })";
    const PolicyValidation v = PolicyDocument::parse(doc);
    QVERIFY(!v.ok());
    const QStringList expected = {
        QStringLiteral("policies[0].backoff.multiplier: must be ≥ 1"),
        QStringLiteral("policies[0].backoff.maxAttempts: must be an integer"),
        QStringLiteral("policies[1].name: duplicate of policies[0].name \"a\""),
        QStringLiteral("policies[1].breaker.windowType: must be one of count, time"),
        QStringLiteral("policies[1].breaker.failureRateThreshold: must be ≤ 100"),
        QStringLiteral("policies[2].name: is required"),
        QStringLiteral("policies[2].backoff.jitter: must be one of none, full, equal, "
                       "decorrelated, proportional"),
        QStringLiteral("policies[2].backoff.multipler: unknown field"),
        QStringLiteral("policies[3].match.type: must be a string or an array of strings"),
        QStringLiteral("policies[3].timeout.ceilingMs: must be ≥ floorMs (500)"),
        QStringLiteral("extra: unknown field"),
    };
    QCOMPARE(v.errors, expected);
}

void TestPolicyDocument::errors_data()
{
    QTest::addColumn<QByteArray>("policy");
    QTest::addColumn<QString>("error");
    QTest::newRow("negative initial")
        << QByteArray(R"({"name":"p","backoff":{"initialDelayMs":-1}})")
        << QStringLiteral("policies[0].backoff.initialDelayMs: must be ≥ 0");
    QTest::newRow("cap below initial")
        << QByteArray(R"({"name":"p","backoff":{"initialDelayMs":500,"maxDelayMs":100}})")
        << QStringLiteral("policies[0].backoff.maxDelayMs: must be ≥ initialDelayMs (500)");
    QTest::newRow("zero attempts")
        << QByteArray(R"({"name":"p","backoff":{"maxAttempts":0}})")
        << QStringLiteral("policies[0].backoff.maxAttempts: must be ≥ 1");
    QTest::newRow("string number")
        << QByteArray(R"({"name":"p","backoff":{"multiplier":"2"}})")
        << QStringLiteral("policies[0].backoff.multiplier: must be a number");
    QTest::newRow("factor > 1")
        << QByteArray(R"({"name":"p","backoff":{"randomizationFactor":1.5}})")
        << QStringLiteral("policies[0].backoff.randomizationFactor: must be ≤ 1");
    QTest::newRow("status out of range")
        << QByteArray(R"({"name":"p","classification":{"retryableStatusCodes":[503, 700]}})")
        << QStringLiteral("policies[0].classification.retryableStatusCodes[1]: must be an HTTP "
                          "status code (100–599)");
    QTest::newRow("status in both")
        << QByteArray(
               R"({"name":"p","classification":{"retryableStatusCodes":[409],"nonRetryableStatusCodes":[409]}})")
        << QStringLiteral("policies[0].classification.retryableStatusCodes: 409 is also listed in "
                          "nonRetryableStatusCodes");
    QTest::newRow("bool typed")
        << QByteArray(R"({"name":"p","classification":{"retryTimeouts":"yes"}})")
        << QStringLiteral("policies[0].classification.retryTimeouts: must be true or false");
    QTest::newRow("zero threshold")
        << QByteArray(R"({"name":"p","breaker":{"failureRateThreshold":0}})")
        << QStringLiteral("policies[0].breaker.failureRateThreshold: must be > 0");
    QTest::newRow("time window too long")
        << QByteArray(R"({"name":"p","breaker":{"windowType":"time","windowSize":7200}})")
        << QStringLiteral(
               "policies[0].breaker.windowSize: must be ≤ 3600 seconds for a time window");
    QTest::newRow("minimum calls a count window never holds")
        << QByteArray(R"({"name":"p","breaker":{"windowSize":20,"minimumNumberOfCalls":50}})")
        << QStringLiteral("policies[0].breaker.minimumNumberOfCalls: must be ≤ windowSize (20) "
                          "for a count window: a window of 20 calls never holds more");
    QTest::newRow("bad sla") << QByteArray(R"({"name":"p","timeout":{"sla":"C"}})")
                             << QStringLiteral(
                                    "policies[0].timeout.sla: must be one of none, A, B");
    QTest::newRow("minSamples > window")
        << QByteArray(R"({"name":"p","timeout":{"windowSize":10,"minSamples":20}})")
        << QStringLiteral("policies[0].timeout.minSamples: must be ≤ windowSize (10)");
    QTest::newRow("budget percent")
        << QByteArray(R"({"name":"p","budget":{"budgetPercent":101}})")
        << QStringLiteral("policies[0].budget.budgetPercent: must be ≤ 100");
    QTest::newRow("negative weight")
        << QByteArray(R"({"name":"p","health":{"errorWeight":-0.1}})")
        << QStringLiteral("policies[0].health.errorWeight: must be ≥ 0");
    QTest::newRow("section not object") << QByteArray(R"({"name":"p","health":[]})")
                                        << QStringLiteral("policies[0].health: must be an object");
    QTest::newRow("empty name") << QByteArray(R"({"name":"  "})")
                                << QStringLiteral("policies[0].name: must be a non-empty string");
    QTest::newRow("policy not object")
        << QByteArray(R"(42)") << QStringLiteral("policies[0]: must be an object");
    QTest::newRow("empty glob") << QByteArray(R"({"name":"p","match":{"type":""}})")
                                << QStringLiteral("policies[0].match.type: must not be empty");
}

void TestPolicyDocument::errors()
{
    QFETCH(QByteArray, policy);
    QFETCH(QString, error);
    const PolicyValidation v =
        PolicyDocument::parse("{\"version\":1,\"policies\":[" + policy + "]}");
    QVERIFY(!v.ok());
    QCOMPARE(v.errors, QStringList{error});
}

void TestPolicyDocument::roundTrip()
{
    const QByteArray doc = R"({"version":1,"policies":[
      {"name":"sms","match":{"type":["sms.*","notify.sms"]},
       "backoff":{"initialDelayMs":250,"multiplier":1.5,"maxDelayMs":20000,"maxAttempts":7,"totalDeadlineMs":120000,"jitter":"decorrelated","randomizationFactor":0.2,"maxRetryAfterMs":60000},
       "classification":{"retryableStatusCodes":[409],"nonRetryableStatusCodes":[502],"retryableProblemTypes":["urn:x:busy"],"nonRetryableProblemTypes":["urn:x:quota"],"retryTimeouts":false},
       "breaker":{"windowType":"time","windowSize":30,"minimumNumberOfCalls":5,"failureRateThreshold":40,"slowCallRateThreshold":60,"slowCallDurationThresholdMs":800,"waitDurationInOpenMs":5000,"permittedCallsInHalfOpen":2,"maxWaitInHalfOpenMs":9000,"automaticTransitionFromOpenToHalfOpen":false,"degradedFraction":0.6,"degradedSlowdown":3},
       "timeout":{"mode":"fixed","fixedMs":1500,"percentile":0.99,"multiplier":2,"windowSize":50,"minSamples":5,"floorMs":10,"ceilingMs":9000,"sla":"B"},
       "budget":{"ratePerSecond":5,"burst":10,"budgetPercent":25,"minRetryConcurrency":1,"maxTokens":20,"tokenRatio":0.2,"recheckMs":300},
       "health":{"errorWeight":0.5,"latencyWeight":0.25,"timeoutWeight":0.25,"errorRateThreshold":0.2,"latencyThresholdMs":300,"timeoutsPerMinuteThreshold":3,"unhealthyScore":0.7,"windowMs":30000,"recheckMs":2000}},
      {"name":"rest"}]})";
    const PolicyValidation v = PolicyDocument::parse(doc);
    QVERIFY2(v.ok(), qPrintable(v.errors.join(u'\n')));
    const RetryPolicy &sms = v.set->policies.first();
    QCOMPARE(sms.matchTypes, (QStringList{QStringLiteral("sms.*"), QStringLiteral("notify.sms")}));
    QCOMPARE(sms.backoff.jitter, JitterMode::Decorrelated);
    QCOMPARE(sms.breaker.windowType, SlidingWindowType::TimeBased);
    QCOMPARE(sms.timeout.sla, SlaPreset::B);
    QCOMPARE(sms.health.recheckMs, 2000);
    QCOMPARE(sms.classification.nonRetryableProblemTypes,
             QStringList{QStringLiteral("urn:x:quota")});
    const PolicyValidation again = PolicyDocument::parse(PolicyDocument::serialize(*v.set));
    QVERIFY2(again.ok(), qPrintable(again.errors.join(u'\n')));
    QCOMPARE(*again.set, *v.set);
}

void TestPolicyDocument::policySelection()
{
    const PolicyValidation v = PolicyDocument::parse(R"({"version":1,"policies":[
        {"name":"pdf","match":{"type":"pdf.*"}},
        {"name":"any-render","match":{"type":"*.render"}},
        {"name":"fallback","match":{"type":"*"}}]})");
    QVERIFY(v.ok());
    QCOMPARE(v.set->policyFor(u"pdf.render").name, QStringLiteral("pdf"));
    QCOMPARE(v.set->policyFor(u"img.render").name, QStringLiteral("any-render"));
    QCOMPARE(v.set->policyFor(u"sms.send").name, QStringLiteral("fallback"));
    PolicySet empty;
    QCOMPARE(empty.policyFor(u"x").name, QStringLiteral("default"));
    QVERIFY(v.set->byName(u"pdf"));
    QVERIFY(!v.set->byName(u"nope"));
}

void TestPolicyDocument::glob_data()
{
    QTest::addColumn<QString>("pattern");
    QTest::addColumn<QString>("text");
    QTest::addColumn<bool>("match");
    QTest::newRow("star all") << "*"
                              << "anything.at/all" << true;
    QTest::newRow("star empty") << "*"
                                << "" << true;
    QTest::newRow("literal") << "sms.send"
                             << "sms.send" << true;
    QTest::newRow("literal mismatch") << "sms.send"
                                      << "sms.sent" << false;
    QTest::newRow("prefix") << "sms.*"
                            << "sms.send" << true;
    QTest::newRow("prefix no dot") << "sms.*"
                                   << "smsx" << false;
    QTest::newRow("suffix") << "*.render"
                            << "pdf.render" << true;
    QTest::newRow("middle") << "a*b*c"
                            << "aXXbYYc" << true;
    QTest::newRow("middle fail") << "a*b*c"
                                 << "aXXbYY" << false;
    QTest::newRow("question") << "job-?"
                              << "job-7" << true;
    QTest::newRow("question too short") << "job-?"
                                        << "job-" << false;
    QTest::newRow("crosses slash") << "a*"
                                   << "a/b/c" << true;
    QTest::newRow("backtrack") << "*aab"
                               << "aaaab" << true;
    QTest::newRow("unicode") << "wörk.*"
                             << "wörk.ü" << true;
}

void TestPolicyDocument::glob()
{
    QFETCH(QString, pattern);
    QFETCH(QString, text);
    QFETCH(bool, match);
    QCOMPARE(Glob::match(pattern, text), match);
}

void TestPolicyDocument::notJsonAndTooBig()
{
    PolicyValidation v = PolicyDocument::parse("{\"version\":1,");
    QVERIFY(!v.ok());
    QVERIFY(v.errors.first().startsWith(QStringLiteral("$: not valid JSON at offset")));
    v = PolicyDocument::parse("[]");
    QCOMPARE(v.errors, QStringList{QStringLiteral("$: must be a JSON object")});
    v = PolicyDocument::parse(R"({"version":2,"policies":{}})");
    QCOMPARE(v.errors, (QStringList{QStringLiteral("version: must be 1"),
                                    QStringLiteral("policies: must be an array")}));
    v = PolicyDocument::parse("{}");
    QCOMPARE(v.errors, (QStringList{QStringLiteral("version: is required (1)"),
                                    QStringLiteral("policies: is required")}));
    v = PolicyDocument::parse(QByteArray(PolicyDocument::kMaxBytes + 1, ' '));
    QVERIFY(v.errors.first().contains(QStringLiteral("limit")));
}

void TestPolicyDocument::absurdDocuments_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("firstError");
    QTest::addColumn<int>("errorCount");
    const QByteArray head = R"({"version":1,"policies":[)";
    QTest::newRow("over 4 MiB")
        << QByteArray(head + QByteArray(PolicyDocument::kMaxBytes, ' ') + "]}")
        << QStringLiteral("$: document is 4194331 bytes, larger than the 4194304-byte limit") << 1;
    QTest::newRow("nested 200 000 deep")
        << QByteArray(head + QByteArray(200'000, '[') + QByteArray(200'000, ']') + "]}")
        << QStringLiteral("$: not valid JSON at offset") << 1;
    QTest::newRow("nested 1 000 deep in a field")
        << QByteArray(head + R"({"name":"p","match":{"type":)" + QByteArray(1000, '[') +
                      QByteArray(1000, ']') + "}}]}")
        << QStringLiteral("policies[0].match.type[0]: must be a non-empty string") << 1;
    QByteArray many = head;
    for (int i = 0; i < 5000; ++i)
        many += QStringLiteral(R"({"name":"p%1"},)").arg(i).toUtf8();
    many.chop(1);
    QTest::newRow("5 000 policies")
        << QByteArray(many + "]}") << QStringLiteral("policies: 5000 policies, at most 1000") << 1;
    QTest::newRow("a 100 000-character name")
        << QByteArray(head + R"({"name":")" + QByteArray(100'000, 'n') + R"("}]})")
        << QStringLiteral("policies[0].name: 100000 characters, at most 200") << 1;
    QByteArray codes = head + R"({"name":"p","classification":{"retryableStatusCodes":[)";
    for (int i = 0; i < 100'000; ++i)
        codes += "503,";
    codes.chop(1);
    QTest::newRow("100 000 status codes")
        << QByteArray(codes + "]}}]}")
        << QStringLiteral(
               "policies[0].classification.retryableStatusCodes: 100000 items, at most 1000")
        << 1;
    // 1 000 policies, each with a mistake: a report of the first 100 and a count.
    QByteArray wrong = head;
    for (int i = 0; i < 1000; ++i)
        wrong += R"({"nmae":"typo"},)";
    wrong.chop(1);
    QTest::newRow("2 000 errors") << QByteArray(wrong + "]}")
                                  << QStringLiteral("policies[0].name: is required") << 101;
}

void TestPolicyDocument::absurdDocuments()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, firstError);
    QFETCH(int, errorCount);
    const PolicyValidation v = PolicyDocument::parse(json);
    QVERIFY(!v.ok());
    QVERIFY2(v.errors.first().startsWith(firstError), qPrintable(v.errors.first()));
    QCOMPARE(v.errors.size(), errorCount);
    if (errorCount > PolicyDocument::kMaxErrors)
        QCOMPARE(v.errors.last(), QStringLiteral("$: 1900 more errors not listed"));
}

void TestPolicyDocument::schemaFieldsRoundTripAtTheirLimits_data()
{
    QTest::addColumn<QString>("section");
    QTest::addColumn<QString>("key");
    for (const PolicyField &f : PolicySchema::fields())
        QTest::addRow("%s.%s", f.section, f.key)
            << QString::fromLatin1(f.section) << QString::fromLatin1(f.key);
}

void TestPolicyDocument::schemaFieldsRoundTripAtTheirLimits()
{
    QFETCH(QString, section);
    QFETCH(QString, key);
    const PolicyField &f = *PolicySchema::find(section, key);
    // The largest value the validator accepts (the last choice, true) survives writing and
    // reading unchanged: nothing between the file and the engine narrows it.
    QJsonValue v;
    switch (f.kind) {
    case PolicyField::Kind::Real:
        v = f.max;
        break;
    case PolicyField::Kind::Integer:
        v = qint64(f.max);
        break;
    case PolicyField::Kind::Boolean:
        v = false;
        break;
    case PolicyField::Kind::Choice:
        v = f.choices.last();
        break;
    }
    QJsonObject sectionObject{{key, v}};
    // Fields checked against another one need room.
    if (section == QLatin1String("backoff") && key == QLatin1String("initialDelayMs"))
        sectionObject.insert(QStringLiteral("maxDelayMs"), f.max);
    if (section == QLatin1String("timeout") && key == QLatin1String("floorMs"))
        sectionObject.insert(QStringLiteral("ceilingMs"), f.max);
    if (section == QLatin1String("timeout") && key == QLatin1String("minSamples"))
        sectionObject.insert(QStringLiteral("windowSize"), f.max);
    if (section == QLatin1String("breaker") && key == QLatin1String("windowSize"))
        sectionObject.insert(QStringLiteral("windowType"), QStringLiteral("count"));
    // A count window holds at most windowSize calls; a time window any number.
    if (section == QLatin1String("breaker") && key == QLatin1String("minimumNumberOfCalls"))
        sectionObject.insert(QStringLiteral("windowType"), QStringLiteral("time"));
    const QJsonObject doc{
        {QStringLiteral("version"), 1},
        {QStringLiteral("policies"),
         QJsonArray{QJsonObject{{QStringLiteral("name"), QStringLiteral("p")},
                                {section, sectionObject}}}}};
    const auto first = PolicyDocument::parse(QJsonDocument(doc).toJson());
    QVERIFY2(first.ok(), qPrintable(first.errors.join(u'\n')));
    QCOMPARE(f.get(first.set->policies.first()), v);
    const auto second = PolicyDocument::parse(PolicyDocument::serialize(*first.set));
    QVERIFY(second.ok());
    QCOMPARE(f.get(second.set->policies.first()), v);
    QCOMPARE(second.set->policies.first(), first.set->policies.first());
}

void TestPolicyDocument::schemaFieldsRefuseOutOfRange_data()
{
    QTest::addColumn<QString>("section");
    QTest::addColumn<QString>("key");
    QTest::addColumn<QJsonValue>("value");
    QTest::addColumn<QString>("error");
    for (const PolicyField &f : PolicySchema::fields()) {
        const QString where = QStringLiteral("policies[0].%1.%2: ").arg(
            QLatin1String(f.section), QLatin1String(f.key));
        switch (f.kind) {
        case PolicyField::Kind::Real:
        case PolicyField::Kind::Integer: {
            const QString max = f.kind == PolicyField::Kind::Integer
                                    ? QString::number(qint64(f.max))
                                    : QString::number(f.max, 'g', 15);
            QTest::addRow("%s.%s above", f.section, f.key)
                << QString::fromLatin1(f.section) << QString::fromLatin1(f.key)
                << QJsonValue(f.max * 2 + 1) << where + QStringLiteral("must be ≤ ") + max;
            break;
        }
        case PolicyField::Kind::Boolean:
            QTest::addRow("%s.%s not a bool", f.section, f.key)
                << QString::fromLatin1(f.section) << QString::fromLatin1(f.key)
                << QJsonValue(1) << where + QStringLiteral("must be true or false");
            break;
        case PolicyField::Kind::Choice:
            QTest::addRow("%s.%s unknown word", f.section, f.key)
                << QString::fromLatin1(f.section) << QString::fromLatin1(f.key)
                << QJsonValue(QStringLiteral("bogus"))
                << where + QStringLiteral("must be one of ") + f.choices.join(QStringLiteral(", "));
            break;
        }
    }
}

void TestPolicyDocument::schemaFieldsRefuseOutOfRange()
{
    QFETCH(QString, section);
    QFETCH(QString, key);
    QFETCH(QJsonValue, value);
    QFETCH(QString, error);
    const QJsonObject doc{
        {QStringLiteral("version"), 1},
        {QStringLiteral("policies"),
         QJsonArray{QJsonObject{{QStringLiteral("name"), QStringLiteral("p")},
                                {section, QJsonObject{{key, value}}}}}}};
    const auto v = PolicyDocument::parse(QJsonDocument(doc).toJson());
    QVERIFY(!v.ok());
    QVERIFY2(v.errors.contains(error), qPrintable(v.errors.join(u'\n')));
}

void TestPolicyDocument::textEditChangesOneValue_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QStringList>("path");
    QTest::addColumn<QJsonValue>("value");
    QTest::addColumn<QByteArray>("expected");
    const QByteArray file = "{\n  \"version\": 1,\n  \"policies\": [\n    { \"name\": \"a\" },\n"
                            "    {\n      \"name\": \"b\",\n      \"backoff\": {\n"
                            "        \"multiplier\": 2.0,\n        \"totalDeadlineMs\": 2592000000\n"
                            "      }\n    }\n  ]\n}\n";
    const auto path = [](std::initializer_list<const char *> p) {
        QStringList out;
        for (const char *s : p)
            out << QString::fromLatin1(s);
        return out;
    };
    QTest::newRow("replace a number, keep 2.0 and the rest as written")
        << file << path({"policies", "1", "backoff", "totalDeadlineMs"}) << QJsonValue(5000)
        << QByteArray(file).replace("2592000000", "5000");
    QTest::newRow("add a key to an object on several lines")
        << file << path({"policies", "1", "backoff", "maxAttempts"}) << QJsonValue(7)
        << QByteArray(file).replace("2592000000\n", "2592000000,\n        \"maxAttempts\": 7\n");
    QTest::newRow("add a section to a one-line object")
        << file << path({"policies", "0", "breaker", "minimumNumberOfCalls"}) << QJsonValue(5)
        << QByteArray(file).replace(
               "{ \"name\": \"a\" }",
               "{ \"name\": \"a\", \"breaker\": {\"minimumNumberOfCalls\":5} }");
    QTest::newRow("a string value")
        << file << path({"policies", "1", "name"}) << QJsonValue(QStringLiteral("c"))
        << QByteArray(file).replace("\"b\"", "\"c\"");
    QTest::newRow("an empty object") << QByteArray("{}") << path({"a"}) << QJsonValue(true)
                                     << QByteArray("{\"a\": true}");
}

void TestPolicyDocument::textEditChangesOneValue()
{
    QFETCH(QByteArray, text);
    QFETCH(QStringList, path);
    QFETCH(QJsonValue, value);
    QFETCH(QByteArray, expected);
    const auto r = JsonTextEdit::set(text, path, value);
    QVERIFY2(r, qPrintable(r ? QString() : r.error().message));
    QCOMPARE(*r, expected);
    QVERIFY(!QJsonDocument::fromJson(*r).isNull());
    // Paths the text does not have are refused, in words.
    const auto missing = JsonTextEdit::set(text, {QStringLiteral("policies"), QStringLiteral("9"),
                                                  QStringLiteral("name")},
                                           value);
    if (text.contains("policies"))
        QCOMPARE(missing.error().message, QStringLiteral("policies.9.name: no element 9"));
}

QTEST_APPLESS_MAIN(TestPolicyDocument)
#include "tst_policydocument.moc"
