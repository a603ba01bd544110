#pragma once

// Test helper: a real Redis (Debian's redis-server) on a free loopback port, without
// persistence (--save ''), optionally with a password. Stopped by PID on destruction; restart()
// keeps the port; pause()/resume() stop and continue it (a Redis that answers nothing).
#include "LoopbackServer.h"

#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QThread>

#include <csignal>
#include <memory>

class RedisProcess
{
public:
    explicit RedisProcess(QByteArray password = {}) : m_password(std::move(password)) {}
    ~RedisProcess() { stop(); }

    /// Starts Redis; false with `error` set when it is not ready within 10 s.
    bool start()
    {
        const QString redis = QStandardPaths::findExecutable(QStringLiteral("redis-server"));
        if (redis.isEmpty()) {
            error = QStringLiteral("redis-server not found (Debian package redis-server)");
            return false;
        }
        for (int tries = 0; tries < 5; ++tries) {
            if (port == 0)
                port = LoopbackServer::freePort();
            QStringList args{QStringLiteral("--port"),       QString::number(port),
                             QStringLiteral("--bind"),       QStringLiteral("127.0.0.1"),
                             QStringLiteral("--save"),       QString(),
                             QStringLiteral("--appendonly"), QStringLiteral("no"),
                             QStringLiteral("--dir"),        m_dir.path()};
            if (!m_password.isEmpty())
                args << QStringLiteral("--requirepass") << QString::fromUtf8(m_password);
            m_process = std::make_unique<QProcess>();
            m_process->setProcessChannelMode(QProcess::MergedChannels);
            m_process->setStandardOutputFile(logPath(), QIODevice::Append);
            m_process->start(redis, args);
            if (!m_process->waitForStarted(5000)) {
                error = m_process->errorString();
                return false;
            }
            if (waitReady())
                return true;
            stop();
            port = 0; // the port was taken meanwhile: try another
        }
        return false;
    }
    bool restart()
    {
        stop();
        return start();
    }
    void stop()
    {
        if (m_process && m_process->state() != QProcess::NotRunning) {
            resume();
            m_process->kill();
            m_process->waitForFinished(5000);
        }
    }
    void pause() { ::kill(pid_t(m_process->processId()), SIGSTOP); }
    void resume() { ::kill(pid_t(m_process->processId()), SIGCONT); }

    quint16 port = 0;
    QString error;

private:
    bool waitReady()
    {
        return LoopbackServer::waitReady(*m_process, logPath(), "Ready to accept connections",
                                         &m_readyCount, 10000, error);
    }

    QString logPath() const { return m_dir.path() + QStringLiteral("/redis.log"); }

    QByteArray m_password;
    QTemporaryDir m_dir;
    qsizetype m_readyCount = 0;
    std::unique_ptr<QProcess> m_process;
};
