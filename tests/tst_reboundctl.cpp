// Drives the real reboundctl binary: output formats, exact schedules, and every bad input.
#include "ProcessRun.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

class TestReboundctl final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void helpAndVersion();
    void scheduleNoJitterExact();
    void scheduleSeededGolden();
    void scheduleDistributions_data();
    void scheduleDistributions();
    void scheduleFromPolicy();
    void badInput_data();
    void badInput();
    void policyValidate();
    void watchWithoutPoliciesUsesDefaults();
    void grpcImportExport();

private:
    using Run = ProcessRun;
    static Run run(const QStringList &args)
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("REBOUND_TOKEN"),
                   QStringLiteral("test-token")); // never the keychain here
        return runProcess(QStringLiteral(REBOUNDCTL_PATH), args, env);
    }
    static QString data(const char *name)
    {
        return QStringLiteral(REBOUND_TEST_DATA "/") + QLatin1String(name);
    }
};

void TestReboundctl::helpAndVersion()
{
    Run r = run({QStringLiteral("--help")});
    QCOMPARE(r.code, 0);
    QVERIFY(r.out.contains(QStringLiteral("schedule")));
    r = run({QStringLiteral("--version")});
    QCOMPARE(r.code, 0);
    QVERIFY(r.out.startsWith(QStringLiteral("reboundctl ")));
    r = run({QStringLiteral("schedule"), QStringLiteral("--help")});
    QCOMPARE(r.code, 0);
    QVERIFY(r.out.contains(QStringLiteral("--jitter")));
}

void TestReboundctl::scheduleNoJitterExact()
{
    const Run r =
        run({QStringLiteral("schedule"), QStringLiteral("--initial-ms"), QStringLiteral("100"),
             QStringLiteral("--multiplier"), QStringLiteral("2"), QStringLiteral("--cap-ms"),
             QStringLiteral("1000"), QStringLiteral("--jitter"), QStringLiteral("none"),
             QStringLiteral("--attempts"), QStringLiteral("7"), QStringLiteral("--samples"),
             QStringLiteral("2"), QStringLiteral("--seed"), QStringLiteral("1")});
    QCOMPARE(r.code, 0);
    QCOMPARE(r.out, QStringLiteral("sample,retry,delay_ms\n"
                                   "1,1,100\n1,2,200\n1,3,400\n1,4,800\n1,5,1000\n1,6,1000\n"
                                   "2,1,100\n2,2,200\n2,3,400\n2,4,800\n2,5,1000\n2,6,1000\n"));
    QVERIFY(r.err.isEmpty());
}

void TestReboundctl::scheduleSeededGolden()
{
    // Expected values from an independent implementation of the seeded RNG and the formulas.
    const QStringList full = {QStringLiteral("schedule"), QStringLiteral("--initial-ms"),
                              QStringLiteral("100"),      QStringLiteral("--multiplier"),
                              QStringLiteral("2"),        QStringLiteral("--cap-ms"),
                              QStringLiteral("1000"),     QStringLiteral("--jitter"),
                              QStringLiteral("full"),     QStringLiteral("--attempts"),
                              QStringLiteral("6"),        QStringLiteral("--samples"),
                              QStringLiteral("2"),        QStringLiteral("--seed"),
                              QStringLiteral("7")};
    Run r = run(full);
    QCOMPARE(r.code, 0);
    QCOMPARE(
        r.out,
        QStringLiteral(
            "sample,retry,delay_ms\n1,1,70.058\n1,2,55.75\n1,3,335.851\n1,4,784.878\n1,5,990.86\n"
            "2,1,87.277\n2,2,12.15\n2,3,41.774\n2,4,322.965\n2,5,151.816\n"));
    QCOMPARE(run(full).out, r.out); // deterministic
    r = run({QStringLiteral("schedule"), QStringLiteral("--initial-ms"), QStringLiteral("100"),
             QStringLiteral("--multiplier"), QStringLiteral("2"), QStringLiteral("--cap-ms"),
             QStringLiteral("2000"), QStringLiteral("--jitter"), QStringLiteral("decorrelated"),
             QStringLiteral("--attempts"), QStringLiteral("5"), QStringLiteral("--seed"),
             QStringLiteral("42")});
    QCOMPARE(r.out,
             QStringLiteral(
                 "sample,retry,delay_ms\n1,1,116.773\n1,2,194.865\n1,3,429.547\n1,4,1199.127\n"));
}

void TestReboundctl::scheduleDistributions_data()
{
    QTest::addColumn<QString>("jitter");
    for (const char *j : {"none", "full", "equal", "decorrelated", "proportional"})
        QTest::newRow(j) << QString::fromLatin1(j);
}

void TestReboundctl::scheduleDistributions()
{
    QFETCH(QString, jitter);
    const Run r =
        run({QStringLiteral("schedule"), QStringLiteral("--initial-ms"), QStringLiteral("50"),
             QStringLiteral("--multiplier"), QStringLiteral("3"), QStringLiteral("--cap-ms"),
             QStringLiteral("5000"), QStringLiteral("--jitter"), jitter, QStringLiteral("--factor"),
             QStringLiteral("0.25"), QStringLiteral("--attempts"), QStringLiteral("6"),
             QStringLiteral("--samples"), QStringLiteral("2500"), QStringLiteral("--seed"),
             QStringLiteral("3")});
    QCOMPARE(r.code, 0);
    const QStringList lines = r.out.split(u'\n', Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 1 + 2500 * 5);
    double prev = 50;
    int lastSample = 0;
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QStringList f = lines[i].split(u',');
        QCOMPARE(f.size(), 3);
        const int sample = f[0].toInt(), retry = f[1].toInt();
        const double d = f[2].toDouble();
        if (sample != lastSample) {
            prev = 50;
            lastSample = sample;
        }
        const double nominal = std::min(5000.0, 50 * std::pow(3, retry - 1));
        const double eps = 0.0005; // three decimals printed
        if (jitter == QLatin1String("none"))
            QCOMPARE(d, nominal);
        else if (jitter == QLatin1String("full"))
            QVERIFY(d >= 0 && d <= nominal + eps);
        else if (jitter == QLatin1String("equal"))
            QVERIFY(d >= nominal / 2 - eps && d <= nominal + eps);
        else if (jitter == QLatin1String("decorrelated"))
            QVERIFY(d >= 50 - eps && d <= std::min(5000.0, 3 * prev) + eps);
        else
            QVERIFY(d >= nominal * 0.75 - eps && d <= nominal * 1.25 + eps);
        prev = d;
    }
}

void TestReboundctl::scheduleFromPolicy()
{
    const Run r =
        run({QStringLiteral("schedule"), QStringLiteral("--policy"), data("policies.json"),
             QStringLiteral("--name"), QStringLiteral("everything-else")});
    QCOMPARE(r.code, 0);
    QCOMPARE(r.out, QStringLiteral("sample,retry,delay_ms\n1,1,500\n1,2,1500\n1,3,4500\n"));
    const Run missing =
        run({QStringLiteral("schedule"), QStringLiteral("--policy"), data("policies.json"),
             QStringLiteral("--name"), QStringLiteral("nope")});
    QCOMPARE(missing.code, 1);
    QVERIFY(missing.err.contains(
        QStringLiteral("no policy named 'nope' (policies: sms, everything-else)")));
}

void TestReboundctl::badInput_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<int>("code");
    QTest::addColumn<QString>("message");
    const QString s = QStringLiteral("schedule");
    QTest::newRow("no command") << QStringList{} << 2 << QStringLiteral("Usage: reboundctl");
    QTest::newRow("unknown command") << QStringList{QStringLiteral("frobnicate")} << 2
                                     << QStringLiteral("unknown command 'frobnicate'");
    QTest::newRow("unknown flag") << QStringList{s, QStringLiteral("--bogus")} << 2
                                  << QStringLiteral("Unknown option 'bogus'");
    QTest::newRow("missing value") << QStringList{s, QStringLiteral("--initial-ms")} << 2
                                   << QStringLiteral("Missing value after '--initial-ms'");
    QTest::newRow("negative initial")
        << QStringList{s, QStringLiteral("--initial-ms"), QStringLiteral("-5")} << 2
        << QStringLiteral("--initial-ms: must be ≥ 0, got -5");
    QTest::newRow("not a number") << QStringList{s, QStringLiteral("--cap-ms"),
                                                 QStringLiteral("lots")}
                                  << 2 << QStringLiteral("--cap-ms: 'lots' is not a number");
    QTest::newRow("inf") << QStringList{s, QStringLiteral("--cap-ms"), QStringLiteral("inf")} << 2
                         << QStringLiteral("--cap-ms: 'inf' is not a number");
    QTest::newRow("multiplier < 1")
        << QStringList{s, QStringLiteral("--multiplier"), QStringLiteral("0.5")} << 2
        << QStringLiteral("--multiplier: must be ≥ 1");
    QTest::newRow("fractional attempts")
        << QStringList{s, QStringLiteral("--attempts"), QStringLiteral("2.5")} << 2
        << QStringLiteral("--attempts: '2.5' must be a whole number");
    QTest::newRow("zero samples") << QStringList{s, QStringLiteral("--samples"),
                                                 QStringLiteral("0")}
                                  << 2 << QStringLiteral("--samples: must be ≥ 1");
    QTest::newRow("bad jitter") << QStringList{s, QStringLiteral("--jitter"),
                                               QStringLiteral("wild")}
                                << 2 << QStringLiteral("--jitter: 'wild' is not one of");
    QTest::newRow("factor > 1") << QStringList{s, QStringLiteral("--factor"), QStringLiteral("2")}
                                << 2 << QStringLiteral("--factor: must be ≤ 1");
    // The policy schema's ranges, not ones of the command's own.
    QTest::newRow("initial over a week")
        << QStringList{s, QStringLiteral("--initial-ms"), QStringLiteral("700000000")} << 2
        << QStringLiteral("--initial-ms: must be ≤ 604800000, got 700000000");
    QTest::newRow("attempts over the schema's")
        << QStringList{s, QStringLiteral("--attempts"), QStringLiteral("1000001")} << 2
        << QStringLiteral("--attempts: must be ≤ 1000000, got 1000001");
    QTest::newRow("negative seed") << QStringList{s, QStringLiteral("--seed"), QStringLiteral("-1")}
                                   << 2 << QStringLiteral("--seed: '-1' is not a whole number");
    QTest::newRow("cap below initial")
        << QStringList{s, QStringLiteral("--initial-ms"), QStringLiteral("500"),
                       QStringLiteral("--cap-ms"), QStringLiteral("10")}
        << 2 << QStringLiteral("--cap-ms (10) must be ≥ --initial-ms (500)");
    QTest::newRow("policy without name")
        << QStringList{s, QStringLiteral("--policy"), data("policies.json")} << 2
        << QStringLiteral("--policy and --name go together");
    QTest::newRow("missing policy file")
        << QStringList{s, QStringLiteral("--policy"), QStringLiteral("/nonexistent/p.json"),
                       QStringLiteral("--name"), QStringLiteral("x")}
        << 2 << QStringLiteral("/nonexistent/p.json");
    QTest::newRow("stray positional") << QStringList{s, QStringLiteral("extra")} << 2
                                      << QStringLiteral("unexpected argument 'extra'");
    QTest::newRow("policy no action")
        << QStringList{QStringLiteral("policy")} << 2 << QStringLiteral("Usage: reboundctl policy");
    QTest::newRow("policy bad action")
        << QStringList{QStringLiteral("policy"), QStringLiteral("lint")} << 2
        << QStringLiteral("unknown action 'lint'");
    QTest::newRow("validate no file")
        << QStringList{QStringLiteral("policy"), QStringLiteral("validate")} << 2
        << QStringLiteral("expected exactly one FILE");
    QTest::newRow("validate missing file")
        << QStringList{QStringLiteral("policy"), QStringLiteral("validate"),
                       QStringLiteral("/nonexistent.json")}
        << 2 << QStringLiteral("/nonexistent.json");
    QTest::newRow("validate malformed")
        << QStringList{QStringLiteral("policy"), QStringLiteral("validate"), data("malformed.json")}
        << 1 << QStringLiteral("$: not valid JSON at offset");
    QTest::newRow("import not grpc")
        << QStringList{QStringLiteral("policy"), QStringLiteral("import-grpc"),
                       data("policies.json")}
        << 1 << QStringLiteral("methodConfig: must be an array");
    QTest::newRow("export without name")
        << QStringList{QStringLiteral("policy"), QStringLiteral("export-grpc"),
                       data("policies.json")}
        << 2 << QStringLiteral("--name P is required");
    const QString w = QStringLiteral("watch"), url = QStringLiteral("--url"),
                  local = QStringLiteral("http://127.0.0.1:9");
    QTest::newRow("watch bad url")
        << QStringList{w, url, QStringLiteral("ftp://x"), QStringLiteral("--policies"),
                       data("policies.json")}
        << 2 << QStringLiteral("--url: expected an http(s) URL");
    QTest::newRow("watch invalid policies")
        << QStringList{w, url, local, QStringLiteral("--policies"), data("invalid-policies.json")}
        << 1 << QStringLiteral("policies[0].backoff.multiplier: must be ≥ 1");
    QTest::newRow("watch unusable db") << QStringList{w,
                                                      url,
                                                      local,
                                                      QStringLiteral("--policies"),
                                                      data("policies.json"),
                                                      QStringLiteral("--db"),
                                                      QStringLiteral("/proc/rebound/none.sqlite")}
                                       << 1 << QStringLiteral("/proc/rebound");
    QTest::newRow("watch negative duration")
        << QStringList{w,
                       url,
                       local,
                       QStringLiteral("--policies"),
                       data("policies.json"),
                       QStringLiteral("--duration"),
                       QStringLiteral("-3")}
        << 2 << QStringLiteral("--duration: expected seconds ≥ 0");
    QTest::newRow("export bad since")
        << QStringList{QStringLiteral("export"),     QStringLiteral("--db"),
                       data("policies.json"),        QStringLiteral("--out"),
                       QStringLiteral("/tmp/x.csv"), QStringLiteral("--since"),
                       QStringLiteral("yesterday")}
        << 2 << QStringLiteral("--since: 'yesterday' is not an RFC 3339 time");
    QTest::newRow("export missing db")
        << QStringList{QStringLiteral("export"), QStringLiteral("--db"),
                       QStringLiteral("/nonexistent.sqlite"), QStringLiteral("--out"),
                       QStringLiteral("/tmp/x.csv")}
        << 2 << QStringLiteral("no such file");
    QTest::newRow("retry without id") << QStringList{QStringLiteral("retry"), url, local} << 2
                                      << QStringLiteral("expected exactly one task ID");
    QTest::newRow("export unknown name")
        << QStringList{QStringLiteral("policy"), QStringLiteral("export-grpc"),
                       data("policies.json"), QStringLiteral("--name"), QStringLiteral("zzz")}
        << 1 << QStringLiteral("no policy named 'zzz'");
    // `secret`: every refusal comes before the keychain is asked.
    const QString secret = QStringLiteral("secret");
    const QString store = QStringLiteral("store");
    const QString redis = QStringLiteral("--redis");
    QTest::newRow("secret without action")
        << QStringList{secret} << 2 << QStringLiteral("Usage: reboundctl secret store|forget");
    QTest::newRow("secret unknown action") << QStringList{secret, QStringLiteral("show")} << 2
                                           << QStringLiteral("unknown action 'show'");
    QTest::newRow("secret no target")
        << QStringList{secret, store} << 2
        << QStringLiteral("name one of --endpoint, --etcd (with --etcd-user) or --redis");
    QTest::newRow("secret two targets") << QStringList{secret,
                                                       store,
                                                       redis,
                                                       QStringLiteral("127.0.0.1:6379"),
                                                       QStringLiteral("--endpoint"),
                                                       QStringLiteral("http://127.0.0.1:1")}
                                        << 2 << QStringLiteral("name one of");
    QTest::newRow("secret etcd without user")
        << QStringList{secret, store, QStringLiteral("--etcd"),
                       QStringLiteral("http://127.0.0.1:2379")}
        << 2 << QStringLiteral("--etcd and --etcd-user go together");
    QTest::newRow("secret on the command line")
        << QStringList{secret, store, redis, QStringLiteral("127.0.0.1:6379"),
                       QStringLiteral("hunter2")}
        << 2 << QStringLiteral("the secret comes from standard input, never the command line");
    QTest::newRow("secret bad redis")
        << QStringList{secret, store, redis, QStringLiteral("redis://:pw@127.0.0.1:6379")} << 2
        << QStringLiteral("--redis: expected redis://HOST:PORT or HOST:PORT, got \"…\"");
    QTest::newRow("secret empty input")
        << QStringList{secret, store, redis, QStringLiteral("127.0.0.1:6379")} << 2
        << QStringLiteral("standard input: empty; give the password of Redis at "
                          "redis://127.0.0.1:6379 there");
}

void TestReboundctl::badInput()
{
    QFETCH(QStringList, args);
    QFETCH(int, code);
    QFETCH(QString, message);
    const Run r = run(args);
    QCOMPARE(r.code, code);
    QVERIFY2(r.err.contains(message), qPrintable(r.err));
    QVERIFY(r.out.isEmpty());
}

void TestReboundctl::policyValidate()
{
    Run r = run({QStringLiteral("policy"), QStringLiteral("validate"), data("policies.json")});
    QCOMPARE(r.code, 0);
    QCOMPARE(r.out, QStringLiteral("ok\n"));
    r = run({QStringLiteral("policy"), QStringLiteral("validate"), data("invalid-policies.json")});
    QCOMPARE(r.code, 1);
    QCOMPARE(r.err, QStringLiteral("policies[0].backoff.multiplier: must be ≥ 1\n"
                                   "policies[1].name: duplicate of policies[0].name \"a\"\n"
                                   "policies[1].breaker.minimumNumberOfCalls: must be ≥ 1\n"));
    QVERIFY(r.out.isEmpty());
}

void TestReboundctl::watchWithoutPoliciesUsesDefaults()
{
    // A new user's first try: no policy file. Nothing listens on port 9, so the endpoint stays
    // unreachable; the point is that watch starts, says which policies it runs, and ends cleanly.
    QTemporaryDir dir;
    const Run r =
        run({QStringLiteral("watch"), QStringLiteral("--url"), QStringLiteral("http://127.0.0.1:9"),
             QStringLiteral("--db"), dir.filePath(QStringLiteral("h.sqlite")),
             QStringLiteral("--duration"), QStringLiteral("1")});
    QCOMPARE(r.code, 0);
    const QJsonObject first = QJsonDocument::fromJson(r.out.section(u'\n', 0, 0).toUtf8()).object();
    QCOMPARE(first.value(QStringLiteral("event")).toString(), QStringLiteral("watch_started"));
    QCOMPARE(first.value(QStringLiteral("policies")).toString(),
             QStringLiteral("built-in defaults (no --policies given)"));
}

void TestReboundctl::grpcImportExport()
{
    const Run imp = run({QStringLiteral("policy"), QStringLiteral("import-grpc"),
                         data("grpc-service-config.json")});
    QCOMPARE(imp.code, 0);
    const QJsonObject doc = QJsonDocument::fromJson(imp.out.toUtf8()).object();
    QCOMPARE(doc.value(QStringLiteral("version")).toInt(), 1);
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("imported.json"));
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(imp.out.toUtf8());
    f.close();
    QCOMPARE(run({QStringLiteral("policy"), QStringLiteral("validate"), path}).code, 0);
    const Run exp = run({QStringLiteral("policy"), QStringLiteral("export-grpc"), path,
                         QStringLiteral("--name"), QStringLiteral("sms.send")});
    QCOMPARE(exp.code, 0);
    QCOMPARE(QJsonDocument::fromJson(exp.out.toUtf8()), [] {
        QFile orig(data("grpc-service-config.json"));
        orig.open(QIODevice::ReadOnly);
        QJsonObject o = QJsonDocument::fromJson(orig.readAll()).object();
        return QJsonDocument(o);
    }());
}

QTEST_GUILESS_MAIN(TestReboundctl)
#include "tst_reboundctl.moc"
