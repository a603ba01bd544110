// Secret hygiene: run the token-handling paths with a known token, then look for it in every
// file they produced, in process arguments and in the logs. It must be nowhere.
#include "EtcdProcess.h"
#include "ProcessRun.h"
#include "RedisProcess.h"
#include "TaskdProcess.h"

#include <QDirIterator>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <sys/types.h>

namespace {

/// What a fleet member needs: etcd, Redis (with `redisPassword`), and a taskd failing every
/// attempt with five tasks in it.
struct FleetServices
{
    explicit FleetServices(const QByteArray &redisPassword) : redis(redisPassword) {}
    QString start()
    {
        if (!etcd.start())
            return etcd.error;
        if (!redis.start())
            return redis.error;
        if (!taskd.start(0, R"({"default":{"unavailable":1.0,"retryAfterProbability":0}})"))
            return QStringLiteral("taskd did not start");
        for (int i = 0; i < 5; ++i)
            taskd.createTask(QStringLiteral("secret.test"));
        return {};
    }
    QString redisUrl() const { return QStringLiteral("redis://127.0.0.1:%1").arg(redis.port); }

    EtcdProcess etcd;
    RedisProcess redis;
    TaskdProcess taskd;
};

} // namespace

class TestSecrets final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void tokenAppearsNowhere();
    void redisPasswordAppearsNowhere();
    void fleetPasswordsFromTheKeychain();
};

void TestSecrets::tokenAppearsNowhere()
{
    const QByteArray token = "Zq8-known-secret-token-4f1c2e"; // distinctive, so any hit is real
    QTemporaryDir dir;
    // The service keeps its journal in the searched directory too.
    TaskdProcess taskd({QStringLiteral("--state"), dir.filePath(QStringLiteral("taskd.jsonl"))},
                       token);
    QVERIFY(taskd.start(
        0,
        R"({"default":{"unavailable":0.7,"retryAfterProbability":0,"latencyMinMs":5,"latencyMaxMs":20}})"));
    for (int i = 0; i < 10; ++i)
        taskd.createTask(QStringLiteral("secret.test"));
    const QString tokenFile = dir.filePath(QStringLiteral("token"));
    {
        QFile f(tokenFile);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(token);
    }
    const QString policies = dir.filePath(QStringLiteral("policies.json"));
    {
        QFile f(policies);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(
            R"({"version":1,"policies":[{"name":"p","backoff":{"initialDelayMs":50,"maxDelayMs":100,"maxAttempts":3}}]})");
    }
    const QString db = dir.filePath(QStringLiteral("history.sqlite"));
    // The headless orchestrator with debug logging on, reading the token from a file.
    QProcess watch;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("QT_LOGGING_RULES"), QStringLiteral("rebound.*.debug=true"));
    env.insert(QStringLiteral("HOME"), dir.filePath(QStringLiteral("home")));
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), dir.filePath(QStringLiteral("config")));
    env.insert(QStringLiteral("XDG_DATA_HOME"), dir.filePath(QStringLiteral("data")));
    // `reboundctl watch` with the token from the file, its output kept as `name`.stdout/stderr.
    const auto startWatch = [&](QProcess &p, const QString &name, int seconds) {
        p.setProcessEnvironment(env);
        p.setStandardOutputFile(dir.filePath(name + QStringLiteral(".stdout")));
        p.setStandardErrorFile(dir.filePath(name + QStringLiteral(".stderr")));
        p.start(QStringLiteral(REBOUNDCTL_PATH),
                {QStringLiteral("watch"), QStringLiteral("--url"), taskd.url,
                 QStringLiteral("--policies"), policies, QStringLiteral("--db"), db,
                 QStringLiteral("--token-file"), tokenFile, QStringLiteral("--duration"),
                 QString::number(seconds)});
        return p.waitForStarted(10'000);
    };
    QVERIFY(startWatch(watch, QStringLiteral("watch"), 4));
    QVERIFY(logSays(dir.filePath(QStringLiteral("watch.stdout")), "watch_started"));
    // Process arguments are world-readable: the token must not be among them.
    QFile cmdline(QStringLiteral("/proc/%1/cmdline").arg(watch.processId()));
    QVERIFY(cmdline.open(QIODevice::ReadOnly));
    QVERIFY(!cmdline.readAll().contains(token));
    QVERIFY(watch.waitForFinished(30'000));
    QCOMPARE(watch.exitCode(), 0);
    // Operator commands and the export, also with debug logging.
    for (const QStringList &args :
         {QStringList{QStringLiteral("tasks"), QStringLiteral("--url"), taskd.url,
                      QStringLiteral("--token-file"), tokenFile},
          QStringList{QStringLiteral("export"), QStringLiteral("--db"), db, QStringLiteral("--out"),
                      dir.filePath(QStringLiteral("out.csv"))}}) {
        QProcess p;
        p.setProcessEnvironment(env);
        p.setStandardOutputFile(dir.filePath(QStringLiteral("%1.stdout").arg(args.first())));
        p.setStandardErrorFile(dir.filePath(QStringLiteral("%1.stderr").arg(args.first())));
        p.start(QStringLiteral(REBOUNDCTL_PATH), args);
        QVERIFY(p.waitForFinished(30'000));
        QCOMPARE(p.exitCode(), 0);
    }
    // Crash output: the orchestrator dies of SIGSEGV and SIGABRT mid-run (debug logging on).
    for (const int sig : {SIGSEGV, SIGABRT}) {
        QProcess p;
        QVERIFY(startWatch(p, QStringLiteral("crash-%1").arg(sig), 30));
        // Mid-work: the first tasks seen and their moves logged (debug lines on).
        QVERIFY(
            logSays(dir.filePath(QStringLiteral("crash-%1.stdout").arg(sig)), "task_transition"));
        ::kill(static_cast<pid_t>(p.processId()), sig);
        QVERIFY(p.waitForFinished(10'000));
        QCOMPARE(p.exitStatus(), QProcess::CrashExit);
    }
    // Now look everywhere those runs could have written: database (and WAL), CSV, logs, config.
    int files = 0, controlHits = 0;
    QStringList hits;
    QDirIterator it(dir.path(), QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        if (path == tokenFile)
            continue;
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadOnly));
        ++files;
        const QByteArray content = f.readAll();
        if (content.contains(token))
            hits << path;
        // Positive control: the scan does see what these files hold (the task type is everywhere).
        controlHits += content.contains("secret.test") ? 1 : 0;
    }
    qInfo("secret scan: %d files searched, %lld hits", files, static_cast<long long>(hits.size()));
    QVERIFY2(hits.isEmpty(), qPrintable(hits.join(u' ')));
    QVERIFY(files >= 5);
    QVERIFY(controlHits >= 3); // at least the log, the CSV and the database
    QVERIFY(QFile(dir.filePath(QStringLiteral("watch.stdout"))).size() >
            0); // there were logs to search
}

void TestSecrets::redisPasswordAppearsNowhere()
{
    // The fleet's Redis password, right (from a file) and wrong (from the environment), with
    // debug logging on: in no file, log or process argument.
    const QByteArray password = "Rp9-known-redis-password-7d3a";
    const QByteArray wrong = "Wq4-wrong-redis-password-1b8e";
    QTemporaryDir dir;
    FleetServices services(password);
    const QString started = services.start();
    QVERIFY2(started.isEmpty(), qPrintable(started));
    const EtcdProcess &etcd = services.etcd;
    TaskdProcess &taskd = services.taskd;
    const QString passwordFile = dir.filePath(QStringLiteral("redis-password"));
    {
        QFile f(passwordFile);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(password + '\n');
    }
    const QString redisUrl = services.redisUrl();
    const auto run = [&](const QString &name, const QStringList &extra, const QByteArray &envPw) {
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("QT_LOGGING_RULES"), QStringLiteral("rebound.*.debug=true"));
        env.insert(QStringLiteral("REBOUND_TOKEN"), QStringLiteral("test-token-123"));
        if (!envPw.isEmpty())
            env.insert(QStringLiteral("REBOUND_REDIS_PASSWORD"), QString::fromUtf8(envPw));
        p.setProcessEnvironment(env);
        p.setStandardOutputFile(dir.filePath(name + QStringLiteral(".stdout")));
        p.setStandardErrorFile(dir.filePath(name + QStringLiteral(".stderr")));
        p.start(QStringLiteral(REBOUNDCTL_PATH),
                QStringList{QStringLiteral("watch"), QStringLiteral("--url"), taskd.url,
                            QStringLiteral("--etcd"), etcd.url, QStringLiteral("--member"), name,
                            QStringLiteral("--redis"), redisUrl, QStringLiteral("--db"),
                            dir.filePath(name + QStringLiteral(".sqlite")),
                            QStringLiteral("--duration"), QStringLiteral("3")} +
                    extra);
        QVERIFY(p.waitForStarted(10'000));
        QVERIFY(logSays(dir.filePath(name + QStringLiteral(".stdout")), "watch_started"));
        QFile cmdline(QStringLiteral("/proc/%1/cmdline").arg(p.processId()));
        QVERIFY(cmdline.open(QIODevice::ReadOnly));
        const QByteArray args = cmdline.readAll();
        QVERIFY(!args.contains(password) && !args.contains(wrong));
        QVERIFY(p.waitForFinished(30'000));
        QCOMPARE(p.exitCode(), 0);
    };
    run(QStringLiteral("right"), {QStringLiteral("--redis-password-file"), passwordFile}, {});
    run(QStringLiteral("wrong"), {}, wrong);
    const auto read = [&](const QString &name) {
        QFile f(dir.filePath(name));
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
    };
    // Positive controls: the right password got in, the wrong one was refused — and said so.
    QVERIFY(read(QStringLiteral("right.stdout")).contains("\"event\":\"budget_shared\""));
    QVERIFY(read(QStringLiteral("wrong.stdout")).contains("AUTH refused"));
    QStringList hits;
    int files = 0;
    QDirIterator it(dir.path(), QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        if (path == passwordFile)
            continue;
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadOnly));
        ++files;
        const QByteArray content = f.readAll();
        if (content.contains(password) || content.contains(wrong))
            hits << path;
    }
    qInfo("redis secret scan: %d files searched, %lld hits", files,
          static_cast<long long>(hits.size()));
    QVERIFY2(hits.isEmpty(), qPrintable(hits.join(u' ')));
    QVERIFY(files >= 4);
}

void TestSecrets::fleetPasswordsFromTheKeychain()
{
    // etcd's and Redis's passwords only in the OS keychain, put there by `reboundctl secret
    // store` from standard input: a watch member and the console find them with no file and no
    // variable, and neither password is in a file, log or process argument.
    if (qEnvironmentVariableIsEmpty("DBUS_SESSION_BUS_ADDRESS"))
        QSKIP("needs a D-Bus session with an unlocked keyring: run through ./dev.sh test");
    const QByteArray etcdPassword = "Ek5-keychain-etcd-password-93c1";
    const QByteArray redisPassword = "Rk2-keychain-redis-password-5e0d";
    QTemporaryDir dir;
    FleetServices services(redisPassword);
    const QString started = services.start();
    QVERIFY2(started.isEmpty(), qPrintable(started));
    EtcdProcess &etcd = services.etcd;
    const QString enabled = etcd.enableRootAuth(etcdPassword);
    QVERIFY2(enabled.isEmpty(), qPrintable(enabled));
    const TaskdProcess &taskd = services.taskd;
    const QString redisUrl = services.redisUrl();
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("REBOUND_ETCD_PASSWORD"));
    env.remove(QStringLiteral("REBOUND_REDIS_PASSWORD"));
    env.insert(QStringLiteral("QT_LOGGING_RULES"), QStringLiteral("rebound.*.debug=true"));
    env.insert(QStringLiteral("REBOUND_TOKEN"), QStringLiteral("test-token-123"));
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), dir.filePath(QStringLiteral("config")));
    env.insert(QStringLiteral("XDG_DATA_HOME"), dir.filePath(QStringLiteral("data")));
    const QStringList etcdAccess{QStringLiteral("--etcd"), etcd.url, QStringLiteral("--etcd-user"),
                                 QStringLiteral("root")};
    const auto ctl = [&](const QStringList &args, const QByteArray &input = {}) {
        return runProcess(QStringLiteral(REBOUNDCTL_PATH), args, env, input);
    };
    const QStringList status =
        QStringList{QStringLiteral("fleet"), QStringLiteral("status")} + etcdAccess;
    // Not there yet: refused before etcd is asked, naming the entry looked for.
    const ProcessRun before = ctl(status);
    QCOMPARE(before.code, 2);
    QVERIFY2(
        before.err.contains(QStringLiteral("OS keychain entry \"etcd:root@%1\"").arg(etcd.url)),
        qPrintable(before.err));
    const ProcessRun storedEtcd =
        ctl(QStringList{QStringLiteral("secret"), QStringLiteral("store")} + etcdAccess,
            etcdPassword + '\n');
    QVERIFY2(storedEtcd.code == 0, qPrintable(storedEtcd.err));
    const ProcessRun storedRedis = ctl(
        {QStringLiteral("secret"), QStringLiteral("store"), QStringLiteral("--redis"), redisUrl},
        redisPassword);
    QVERIFY2(storedRedis.code == 0, qPrintable(storedRedis.err));
    QVERIFY2(storedRedis.out.contains(QStringLiteral("entry \"%1\"").arg(redisUrl)),
             qPrintable(storedRedis.out));

    const auto start = [&](QProcess &p, const QString &program, const QString &name,
                           const QStringList &args) {
        p.setProcessEnvironment(env);
        p.setStandardOutputFile(dir.filePath(name + QStringLiteral(".stdout")));
        p.setStandardErrorFile(dir.filePath(name + QStringLiteral(".stderr")));
        p.start(program, args + etcdAccess);
        return p.waitForStarted(10'000);
    };
    QProcess watch;
    QVERIFY(
        start(watch, QStringLiteral(REBOUNDCTL_PATH), QStringLiteral("kc-watch"),
              {QStringLiteral("watch"), QStringLiteral("--url"), taskd.url,
               QStringLiteral("--member"), QStringLiteral("kc-watch"), QStringLiteral("--redis"),
               redisUrl, QStringLiteral("--db"), dir.filePath(QStringLiteral("kc-watch.sqlite")),
               QStringLiteral("--duration"), QStringLiteral("10")}));
    QStringList members{QStringLiteral("kc-watch")};
#ifdef REBOUND_PATH
    QProcess console;
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    QVERIFY(start(console, QStringLiteral(REBOUND_PATH), QStringLiteral("kc-console"),
                  {QStringLiteral("--url"), taskd.url, QStringLiteral("--member"),
                   QStringLiteral("kc-console"), QStringLiteral("--redis"), redisUrl,
                   QStringLiteral("--db"), dir.filePath(QStringLiteral("kc-console.sqlite")),
                   QStringLiteral("--quit-after-ms"), QStringLiteral("10000")}));
    members << QStringLiteral("kc-console");
#endif
    // Each is in the fleet (etcd let it in) and on the shared budget (Redis let it in), as
    // `fleet status` — itself with the keychain's password — says.
    QString lastStatus;
    const auto budgetOf = [&](const QString &member) {
        lastStatus = ctl(status).out;
        const QRegularExpression row(QStringLiteral("^%1 .* (redis|local 1/\\d+)( |$)")
                                         .arg(QRegularExpression::escape(member)),
                                     QRegularExpression::MultilineOption);
        return row.match(lastStatus).captured(1);
    };
    for (const QString &m : members)
        QTRY_VERIFY2_WITH_TIMEOUT(budgetOf(m) == QLatin1String("redis"), qPrintable(lastStatus),
                                  15'000);
    for (QProcess *p : {&watch
#ifdef REBOUND_PATH
                        ,
                        &console
#endif
         }) {
        QFile cmdline(QStringLiteral("/proc/%1/cmdline").arg(p->processId()));
        QVERIFY(cmdline.open(QIODevice::ReadOnly));
        const QByteArray args = cmdline.readAll();
        QVERIFY(!args.contains(etcdPassword) && !args.contains(redisPassword));
        QVERIFY(p->waitForFinished(30'000));
        QCOMPARE(p->exitCode(), 0);
    }
    QFile log(dir.filePath(QStringLiteral("kc-watch.stdout")));
    QVERIFY(log.open(QIODevice::ReadOnly));
    QVERIFY(log.readAll().contains("\"event\":\"budget_shared\""));

    // Forgotten: refused again.
    QCOMPARE(ctl(QStringList{QStringLiteral("secret"), QStringLiteral("forget")} + etcdAccess).code,
             0);
    QCOMPARE(ctl({QStringLiteral("secret"), QStringLiteral("forget"), QStringLiteral("--redis"),
                  redisUrl})
                 .code,
             0);
    QCOMPARE(ctl(status).code, 2);

    QStringList hits;
    int files = 0;
    QDirIterator it(dir.path(), QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        QFile f(it.next());
        QVERIFY(f.open(QIODevice::ReadOnly));
        ++files;
        const QByteArray content = f.readAll();
        if (content.contains(etcdPassword) || content.contains(redisPassword))
            hits << f.fileName();
    }
    qInfo("keychain secret scan: %d files searched, %lld hits", files,
          static_cast<long long>(hits.size()));
    QVERIFY2(hits.isEmpty(), qPrintable(hits.join(u' ')));
    QVERIFY(files >= 3 * members.size()); // each: stdout, stderr, its history database
}

QTEST_GUILESS_MAIN(TestSecrets)
#include "tst_secrets.moc"
