#pragma once

// Test helper shared by the real-server processes (etcd, Redis): a free loopback port, and
// waiting until the server's log says it is ready.
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QTcpServer>
#include <QThread>

namespace LoopbackServer {

/// A port the OS handed out and that was freed again (servers that cannot report the port
/// they chose are started on it; a clash is retried by the caller).
inline quint16 freePort()
{
    QTcpServer s;
    s.listen(QHostAddress::LocalHost, 0);
    return s.serverPort();
}

/// Waits until `log` holds `ready` more often than `*seen` times (a restart appends to the same
/// log), or the process ends, or `timeoutMs` pass; on failure `error` says why.
inline bool waitReady(const QProcess &process, const QString &log, const QByteArray &ready,
                      qsizetype *seen, int timeoutMs, QString &error)
{
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < timeoutMs) {
        QFile f(log);
        const QByteArray text = f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
        if (process.state() == QProcess::NotRunning) {
            error = QString::fromUtf8(text.right(2000));
            return false;
        }
        if (text.count(ready) > *seen) {
            *seen = text.count(ready);
            return true;
        }
        QThread::msleep(20);
    }
    error = QStringLiteral("not ready in %1 s").arg(timeoutMs / 1000);
    return false;
}

} // namespace LoopbackServer
