// Where secrets come from: file, then environment, then the keychain (a map here), and what
// each failure says. The real keychain is exercised by tst_fleet and tst_secrets.
#include "fleet/EtcdAccess.h"
#include "fleet/FleetMember.h"
#include "support/SecretSource.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <map>

using namespace rebound;

namespace {

/// A keychain that holds `entries`, or answers every lookup with `failure` when set, and
/// counts the lookups.
struct FakeKeychain
{
    std::map<QString, QByteArray> entries;
    QString failure;
    int lookups = 0;

    SecretSource::Keychain lookup()
    {
        return [this](const QString &entry) -> Result<std::optional<QByteArray>> {
            ++lookups;
            if (!failure.isEmpty())
                return Error{QStringLiteral("keychain"), failure};
            const auto it = entries.find(entry);
            if (it == entries.end())
                return std::optional<QByteArray>();
            return std::optional<QByteArray>(it->second);
        };
    }
};

} // namespace

class TestSecretSource : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void order_data();
    void order();
    void fileErrors();
    void keychainEntries();
    void etcdPasswordFromTheKeychain();
    void etcdKeychainAskedOnlyForAUser();
    void redisPassword();

private:
    QTemporaryDir m_dir;
    QString m_file;
    QString m_emptyFile;
};

void TestSecretSource::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_file = m_dir.filePath(QStringLiteral("secret"));
    QFile f(m_file);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("  from-file\n");
    f.close();
    m_emptyFile = m_dir.filePath(QStringLiteral("empty"));
    QFile e(m_emptyFile);
    QVERIFY(e.open(QIODevice::WriteOnly));
}

void TestSecretSource::order_data()
{
    QTest::addColumn<bool>("file");
    QTest::addColumn<QByteArray>("environment");
    QTest::addColumn<bool>("inKeychain");
    QTest::addColumn<QByteArray>("secret");
    QTest::addColumn<int>("from");
    QTest::addColumn<int>("lookups");

    using F = SecretSource::From;
    QTest::newRow("file beats all")
        << true << QByteArray("from-env") << true << QByteArray("from-file") << int(F::File) << 0;
    QTest::newRow("environment beats the keychain")
        << false << QByteArray("from-env") << true << QByteArray("from-env") << int(F::Environment)
        << 0;
    QTest::newRow("keychain last")
        << false << QByteArray() << true << QByteArray("from-keychain") << int(F::Keychain) << 1;
    QTest::newRow("nowhere") << false << QByteArray() << false << QByteArray() << int(F::Nowhere)
                             << 1;
}

void TestSecretSource::order()
{
    QFETCH(bool, file);
    QFETCH(QByteArray, environment);
    QFETCH(bool, inKeychain);
    QFETCH(QByteArray, secret);
    QFETCH(int, from);
    QFETCH(int, lookups);
    FakeKeychain keychain;
    if (inKeychain)
        keychain.entries[QStringLiteral("the-entry")] = "from-keychain";
    const auto found =
        SecretSource::resolve(QStringLiteral("--secret-file"), file ? m_file : QString(),
                              environment, QStringLiteral("the-entry"), keychain.lookup());
    QVERIFY2(found, qPrintable(found ? QString() : found.error().message));
    QCOMPARE(found->secret, secret);
    QCOMPARE(int(found->from), from);
    QCOMPARE(keychain.lookups, lookups);
}

void TestSecretSource::fileErrors()
{
    FakeKeychain keychain;
    const auto missing = SecretSource::resolve(QStringLiteral("--secret-file"),
                                               m_dir.filePath(QStringLiteral("nope")), "env",
                                               QStringLiteral("e"), keychain.lookup());
    QVERIFY(!missing);
    QVERIFY2(missing.error().message.startsWith(
                 QStringLiteral("--secret-file %1: ").arg(m_dir.filePath(QStringLiteral("nope")))),
             qPrintable(missing.error().message));
    const auto empty = SecretSource::resolve(QStringLiteral("--secret-file"), m_emptyFile, "env",
                                             QStringLiteral("e"), keychain.lookup());
    QVERIFY(!empty);
    QCOMPARE(empty.error().message,
             QStringLiteral("--secret-file %1: the file is empty").arg(m_emptyFile));
    // A named file that fails never falls through to the environment or the keychain.
    QCOMPARE(keychain.lookups, 0);

    keychain.failure = QStringLiteral("Cannot autolaunch D-Bus without X11 $DISPLAY");
    const auto locked = SecretSource::resolve(QStringLiteral("--secret-file"), {}, {},
                                              QStringLiteral("the-entry"), keychain.lookup());
    QVERIFY(!locked);
    QCOMPARE(locked.error().code, QStringLiteral("keychain"));
    QCOMPARE(locked.error().message,
             QStringLiteral("the OS keychain entry \"the-entry\": Cannot autolaunch D-Bus "
                            "without X11 $DISPLAY"));
}

void TestSecretSource::keychainEntries()
{
    QCOMPARE(EtcdAccess::keychainEntry(QUrl(QStringLiteral("https://etcd.example:2379/")),
                                       QStringLiteral("root")),
             QStringLiteral("etcd:root@https://etcd.example:2379"));
    const auto v4 =
        FleetMember::parseRedis(QStringLiteral("127.0.0.1:6380"), QStringLiteral("--redis"));
    QVERIFY(v4);
    QCOMPARE(v4->keychainEntry(), QStringLiteral("redis://127.0.0.1:6380"));
    const auto v6 =
        FleetMember::parseRedis(QStringLiteral("redis://[::1]:6379"), QStringLiteral("--redis"));
    QVERIFY(v6);
    QCOMPARE(v6->keychainEntry(), QStringLiteral("redis://[::1]:6379"));
    // Spelled with or without redis://, one entry.
    QCOMPARE(
        FleetMember::parseRedis(QStringLiteral("redis://127.0.0.1:6380"), QStringLiteral("--redis"))
            ->keychainEntry(),
        v4->keychainEntry());
}

void TestSecretSource::etcdPasswordFromTheKeychain()
{
    FakeKeychain keychain;
    keychain.entries[QStringLiteral("etcd:root@http://127.0.0.1:2379")] = "Kc-etcd-password";
    const auto a = EtcdAccess::from(QStringLiteral("http://127.0.0.1:2379/"),
                                    QStringLiteral("root"), {}, {}, {}, keychain.lookup());
    QVERIFY2(a, qPrintable(a ? QString() : a.error().message));
    QCOMPARE(a->password, QByteArray("Kc-etcd-password"));
    // The environment still comes first.
    const auto env =
        EtcdAccess::from(QStringLiteral("http://127.0.0.1:2379"), QStringLiteral("root"), {},
                         "Env-password", {}, keychain.lookup());
    QVERIFY(env);
    QCOMPARE(env->password, QByteArray("Env-password"));
    QCOMPARE(keychain.lookups, 1);
    // Another user has no entry: said, with where it was looked for.
    const auto bob = EtcdAccess::from(QStringLiteral("http://127.0.0.1:2379"),
                                      QStringLiteral("bob"), {}, {}, {}, keychain.lookup());
    QVERIFY(!bob);
    QCOMPARE(bob.error().message,
             QStringLiteral("--etcd-user bob: no password (--etcd-password-file, "
                            "REBOUND_ETCD_PASSWORD or the OS keychain entry "
                            "\"etcd:bob@http://127.0.0.1:2379\")"));
    keychain.failure = QStringLiteral("locked");
    const auto locked = EtcdAccess::from(QStringLiteral("http://127.0.0.1:2379"),
                                         QStringLiteral("root"), {}, {}, {}, keychain.lookup());
    QVERIFY(!locked);
    QCOMPARE(locked.error().message,
             QStringLiteral("--etcd-user root: no password: the OS keychain entry "
                            "\"etcd:root@http://127.0.0.1:2379\": locked"));
}

void TestSecretSource::etcdKeychainAskedOnlyForAUser()
{
    FakeKeychain keychain;
    keychain.entries[QStringLiteral("etcd:@http://127.0.0.1:2379")] = "never-used";
    const auto a = EtcdAccess::from(QStringLiteral("http://127.0.0.1:2379"), {}, {}, {}, {},
                                    keychain.lookup());
    QVERIFY(a);
    QVERIFY(a->password.isEmpty());
    QCOMPARE(keychain.lookups, 0);
    // A bad CA is said before the keychain is asked.
    keychain.entries[QStringLiteral("etcd:root@http://127.0.0.1:2379")] = "pw";
    const auto ca = EtcdAccess::from(QStringLiteral("http://127.0.0.1:2379"),
                                     QStringLiteral("root"), {}, {}, m_file, keychain.lookup());
    QVERIFY(!ca);
    QVERIFY2(ca.error().message.startsWith(QLatin1String("--etcd-ca: only for an https://")),
             qPrintable(ca.error().message));
    QCOMPARE(keychain.lookups, 0);
}

void TestSecretSource::redisPassword()
{
    FakeKeychain keychain;
    keychain.entries[QStringLiteral("redis://127.0.0.1:6379")] = "Kc-redis-password";
    auto redis =
        *FleetMember::parseRedis(QStringLiteral("127.0.0.1:6379"), QStringLiteral("--redis"));
    QString warning;
    QVERIFY(redis.resolvePassword({}, {}, keychain.lookup(), warning));
    QCOMPARE(redis.password, QByteArray("Kc-redis-password"));
    QVERIFY(warning.isEmpty());
    QVERIFY(redis.resolvePassword(m_file, "env", keychain.lookup(), warning));
    QCOMPARE(redis.password, QByteArray("from-file"));
    // No entry: a Redis without a password.
    auto other =
        *FleetMember::parseRedis(QStringLiteral("127.0.0.1:6390"), QStringLiteral("--redis"));
    QVERIFY(other.resolvePassword({}, {}, keychain.lookup(), warning));
    QVERIFY(other.password.isEmpty());
    QVERIFY(warning.isEmpty());
    // A keychain that cannot be asked: no password, and a warning that says why.
    keychain.failure = QStringLiteral("no answer within 5 s");
    QVERIFY(redis.resolvePassword({}, {}, keychain.lookup(), warning));
    QVERIFY(redis.password.isEmpty());
    QCOMPARE(warning, QStringLiteral("no Redis password from the OS keychain entry "
                                     "\"redis://127.0.0.1:6379\": no answer within 5 s; "
                                     "connecting without one"));
    // A named file that cannot be read is an error, not a fallback.
    const auto bad = redis.resolvePassword(m_emptyFile, {}, keychain.lookup(), warning);
    QVERIFY(!bad);
    QCOMPARE(bad.error().message,
             QStringLiteral("--redis-password-file %1: the file is empty").arg(m_emptyFile));
}

QTEST_GUILESS_MAIN(TestSecretSource)
#include "tst_secretsource.moc"
