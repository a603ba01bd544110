#pragma once

// Test helper: one `reboundctl watch --etcd` member as a separate process (killable, stoppable
// with signals), as tst_fleet and bench_failover start them.
#include <QProcess>
#include <QStringList>

#include <memory>

struct WatchMember
{
    QString taskdUrl;
    QString etcdUrl;
    int leaseTtl = 10;
    int shards = 64;
    QString dbDir;
    QString logFile; ///< empty: discarded
    QString redis;   ///< redis://HOST:PORT for a shared budget; empty: each its own

    std::unique_ptr<QProcess> start(const QString &id) const
    {
        auto p = std::make_unique<QProcess>();
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("REBOUND_TOKEN"), QStringLiteral("test-token-123"));
        p->setProcessEnvironment(env);
        const QString log = logFile.isEmpty() ? QProcess::nullDevice() : logFile.arg(id);
        p->setStandardOutputFile(log, QIODevice::Append);
        p->setStandardErrorFile(log, QIODevice::Append);
        QStringList args{QStringLiteral("watch"),
                         QStringLiteral("--url"),
                         taskdUrl,
                         QStringLiteral("--etcd"),
                         etcdUrl,
                         QStringLiteral("--member"),
                         id,
                         QStringLiteral("--lease-ttl"),
                         QString::number(leaseTtl),
                         QStringLiteral("--etcd-heartbeat"),
                         QStringLiteral("1"),
                         QStringLiteral("--shards"),
                         QString::number(shards),
                         QStringLiteral("--db"),
                         dbDir + u'/' + id + QStringLiteral(".sqlite")};
        if (!redis.isEmpty())
            args << QStringLiteral("--redis") << redis;
        p->start(QStringLiteral(REBOUNDCTL_PATH), args);
        p->waitForStarted(5000);
        return p;
    }
};
