#include "PeakMemory.h"
#include "policy/PolicyStore.h"
#include "time/ManualClock.h"

#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <cstdio>

using namespace rebound;

class TestPolicyStore final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void loadsAndReloadsInPlaceEdit();
    void invalidEditKeepsLastGood();
    void atomicRenameSaves();
    void applyWritesFileOnce();
    void missingFile();
    void hugeFileRefusedWithoutReadingIt();

private:
    static QByteArray doc(const char *name, int attempts = 5)
    {
        return QStringLiteral(
                   R"({"version":1,"policies":[{"name":"%1","backoff":{"maxAttempts":%2}}]})")
            .arg(QLatin1String(name))
            .arg(attempts)
            .toUtf8();
    }
    static void writeInPlace(const QString &path, const QByteArray &content)
    {
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        QCOMPARE(f.write(content), content.size());
    }
    static void saveByRename(const QString &path, const QByteArray &content)
    {
        const QString tmp = path + QStringLiteral(".tmp~");
        writeInPlace(tmp, content);
        QCOMPARE(
            std::rename(QFile::encodeName(tmp).constData(), QFile::encodeName(path).constData()),
            0);
    }

    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_path;
};

void TestPolicyStore::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_path = m_dir->filePath(QStringLiteral("policies.json"));
}

void TestPolicyStore::loadsAndReloadsInPlaceEdit()
{
    writeInPlace(m_path, doc("a"));
    ManualClock clock;
    PolicyStore store(clock);
    store.setReloadDelay(std::chrono::milliseconds(20));
    QSignalSpy changed(&store, &PolicyStore::policiesChanged);
    QVERIFY(store.open(m_path).ok());
    QCOMPARE(store.current()->policies.first().name, QStringLiteral("a"));
    const auto held = store.current(); // a decision in progress keeps its snapshot
    QCOMPARE(store.history().size(), 1);
    QCOMPARE(store.history().first().source, QStringLiteral("file"));
    QCOMPARE(store.history().first().at, clock.wallNow());

    clock.advance(std::chrono::seconds(5));
    writeInPlace(m_path, doc("b", 9));
    QTRY_COMPARE(store.history().size(), 2);
    QCOMPARE(store.current()->policies.first().name, QStringLiteral("b"));
    QCOMPARE(store.current()->policies.first().backoff.maxAttempts, 9);
    QCOMPARE(held->policies.first().name, QStringLiteral("a"));
    const PolicyVersion v2 = store.history().last();
    QCOMPARE(v2.number, 2);
    QCOMPARE(v2.source, QStringLiteral("file-change"));
    QCOMPARE(v2.content, doc("b", 9));
    QCOMPARE(v2.sha256.size(), 64);
    QVERIFY(v2.sha256 != store.history().first().sha256);
    QCOMPARE(changed.size(), 2);
    QCOMPARE(changed.last().first().toInt(), 2);
}

void TestPolicyStore::invalidEditKeepsLastGood()
{
    writeInPlace(m_path, doc("good"));
    ManualClock clock;
    PolicyStore store(clock);
    store.setReloadDelay(std::chrono::milliseconds(20));
    QSignalSpy failed(&store, &PolicyStore::reloadFailed);
    QVERIFY(store.open(m_path).ok());
    writeInPlace(m_path, R"({"version":1,"policies":[{"name":"bad","backoff":{"multiplier":0}}]})");
    QTRY_COMPARE(failed.size(), 1);
    QCOMPARE(failed.first().first().toStringList(),
             QStringList{QStringLiteral("policies[0].backoff.multiplier: must be ≥ 1")});
    QCOMPARE(store.lastErrors(), failed.first().first().toStringList());
    QCOMPARE(store.current()->policies.first().name, QStringLiteral("good"));
    QCOMPARE(store.history().size(), 1);
    // Fixing the file recovers.
    writeInPlace(m_path, doc("fixed"));
    QTRY_COMPARE(store.current()->policies.first().name, QStringLiteral("fixed"));
    QVERIFY(store.lastErrors().isEmpty());
}

void TestPolicyStore::atomicRenameSaves()
{
    writeInPlace(m_path, doc("v1"));
    ManualClock clock;
    PolicyStore store(clock);
    store.setReloadDelay(std::chrono::milliseconds(20));
    QVERIFY(store.open(m_path).ok());
    saveByRename(m_path, doc("v2"));
    QTRY_COMPARE(store.current()->policies.first().name, QStringLiteral("v2"));
    // The watch must survive the rename: a second and third save are seen too.
    saveByRename(m_path, doc("v3"));
    QTRY_COMPARE(store.current()->policies.first().name, QStringLiteral("v3"));
    writeInPlace(m_path, doc("v4"));
    QTRY_COMPARE(store.current()->policies.first().name, QStringLiteral("v4"));
    QCOMPARE(store.history().size(), 4);
}

void TestPolicyStore::applyWritesFileOnce()
{
    writeInPlace(m_path, doc("orig"));
    ManualClock clock;
    PolicyStore store(clock);
    store.setReloadDelay(std::chrono::milliseconds(20));
    QVERIFY(store.open(m_path).ok());
    QVERIFY(store.apply(doc("console", 3), QStringLiteral("console:test")).ok());
    QCOMPARE(store.current()->policies.first().name, QStringLiteral("console"));
    QFile f(m_path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(f.readAll(), doc("console", 3));
    // Our own write must not add a version when the watcher reports it. An outside write after
    // it is the barrier (events come in order): once it is seen, ours was reported before it.
    writeInPlace(m_path, doc("outside"));
    QTRY_COMPARE(store.current()->policies.first().name, QStringLiteral("outside"));
    QCOMPARE(store.history().size(), 3);
    QCOMPARE(store.history().at(1).source, QStringLiteral("console:test"));
    const auto bad = store.apply("{nope", QStringLiteral("console:test"));
    QVERIFY(!bad.ok());
    QCOMPARE(bad.error().code, QStringLiteral("invalid-policy"));
    QCOMPARE(store.history().size(), 3);
}

void TestPolicyStore::missingFile()
{
    ManualClock clock;
    PolicyStore store(clock);
    store.setReloadDelay(std::chrono::milliseconds(20));
    const auto r = store.open(m_path);
    QVERIFY(!r.ok());
    QCOMPARE(r.error().code, QStringLiteral("policy-file-unreadable"));
    QVERIFY(r.error().message.contains(m_path));
    QVERIFY(store.current()->policies.isEmpty());
    // Creating the file later is picked up through the directory watch.
    writeInPlace(m_path, doc("late"));
    QTRY_COMPARE(store.history().size(), 1);
    QCOMPARE(store.current()->policies.first().name, QStringLiteral("late"));
}

void TestPolicyStore::hugeFileRefusedWithoutReadingIt()
{
    ManualClock clock;
    PolicyStore store(clock);
    store.setReloadDelay(std::chrono::milliseconds(20));
    writeInPlace(m_path, doc("good"));
    QVERIFY(store.open(m_path).ok());
    // A 2 GiB file (sparse: nothing is written to disk) replaces it.
    {
        QFile f(m_path);
        QVERIFY(f.open(QIODevice::ReadWrite));
        QVERIFY(f.resize(2LL * 1024 * 1024 * 1024));
    }
    const qint64 before = peakRssKiB();
    QSignalSpy failed(&store, &PolicyStore::reloadFailed);
    PolicyStore other(clock);
    const auto r = other.open(m_path);
    QVERIFY(!r.ok());
    QCOMPARE(r.error().message, m_path + QStringLiteral(": 2147483648 bytes, larger than the "
                                                        "4194304-byte limit for a policy file"));
    // The live store keeps its last good set and says why.
    QTRY_VERIFY(!failed.isEmpty());
    QCOMPARE(store.current()->policies.first().name, QStringLiteral("good"));
    QVERIFY(store.lastErrors().first().contains(QStringLiteral("2147483648 bytes")));
    // Bounded memory: nothing of the file was read.
    const qint64 grown = peakRssKiB() - before;
    QVERIFY2(grown < 16 * 1024, qPrintable(QStringLiteral("peak RSS grew %1 KiB").arg(grown)));
}

QTEST_GUILESS_MAIN(TestPolicyStore)
#include "tst_policystore.moc"
