#pragma once

// Test helper: a real etcd (Debian's etcd-server) on free loopback ports, its data directory on
// tmpfs (etcd cannot skip fsync), progress notifications every second. Stopped by PID and its
// directory removed on destruction; restart() keeps the data and the port.
#include "LoopbackServer.h"
#include "fleet/EtcdAccess.h"
#include "fleet/HttpEtcdWire.h"

#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QJsonObject>
#include <QProcess>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QThread>
#include <QTimer>

#include <memory>

class EtcdProcess
{
public:
    EtcdProcess()
        : m_dir(QDir(QStringLiteral("/dev/shm")).exists()
                    ? QStringLiteral("/dev/shm/rebound-etcd-XXXXXX")
                    : QDir::tempPath() + QStringLiteral("/rebound-etcd-XXXXXX"))
    {}
    ~EtcdProcess() { stop(); }

    /// Starts etcd; false with `error` set when it does not answer within 15 s.
    bool start()
    {
        if (!m_dir.isValid()) {
            error = QStringLiteral("no data directory");
            return false;
        }
        const QString etcd = QStandardPaths::findExecutable(QStringLiteral("etcd"));
        if (etcd.isEmpty()) {
            error = QStringLiteral("etcd not found (Debian package etcd-server)");
            return false;
        }
        // etcd cannot report a port it chose: take two the OS hands out and free them again.
        for (int tries = 0; tries < 5; ++tries) {
            if (clientPort == 0) {
                clientPort = LoopbackServer::freePort();
                m_peerPort = LoopbackServer::freePort();
            }
            const QString client =
                QStringLiteral("%1://127.0.0.1:%2")
                    .arg(certFile.isEmpty() ? QStringLiteral("http") : QStringLiteral("https"))
                    .arg(clientPort);
            const QString peer = QStringLiteral("http://127.0.0.1:%1").arg(m_peerPort);
            m_process = std::make_unique<QProcess>();
            // To a file: a pipe nobody reads once etcd is up would fill and stall it.
            m_process->setProcessChannelMode(QProcess::MergedChannels);
            m_process->setStandardOutputFile(logPath(), QIODevice::Append);
            m_process->start(
                etcd,
                QStringList{QStringLiteral("--name"), QStringLiteral("test"),
                            QStringLiteral("--data-dir"), m_dir.path() + QStringLiteral("/data"),
                            QStringLiteral("--listen-client-urls"), client,
                            QStringLiteral("--advertise-client-urls"), client,
                            QStringLiteral("--listen-peer-urls"), peer,
                            QStringLiteral("--initial-advertise-peer-urls"), peer,
                            QStringLiteral("--initial-cluster"), QStringLiteral("test=") + peer,
                            QStringLiteral("--experimental-watch-progress-notify-interval"),
                            QStringLiteral("1s")} +
                    (certFile.isEmpty() ? QStringList()
                                        : QStringList{QStringLiteral("--cert-file"), certFile,
                                                      QStringLiteral("--key-file"), keyFile}) +
                    extraArgs);
            if (!m_process->waitForStarted(5000)) {
                error = m_process->errorString();
                return false;
            }
            url = client;
            if (waitReady())
                return true;
            stop();
            clientPort = 0; // a port taken meanwhile: try others
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
            m_process->kill();
            m_process->waitForFinished(5000);
        }
    }
    qint64 pid() const { return m_process ? m_process->processId() : 0; }

    /// Turns authentication on with one user, root (role root), whose password is `password`;
    /// an empty string when done, else what failed.
    QString enableRootAuth(const QByteArray &password)
    {
        rebound::EtcdAccess admin{QUrl(url)};
        if (!certFile.isEmpty())
            admin.ca = QSslCertificate::fromPath(certFile);
        rebound::HttpEtcdWire wire(admin);
        for (const auto &[path, body] : std::initializer_list<std::pair<const char *, QJsonObject>>{
                 {"/v3/auth/role/add", {{QStringLiteral("name"), QStringLiteral("root")}}},
                 {"/v3/auth/user/add",
                  {{QStringLiteral("name"), QStringLiteral("root")},
                   {QStringLiteral("password"), QString::fromUtf8(password)}}},
                 {"/v3/auth/user/grant",
                  {{QStringLiteral("user"), QStringLiteral("root")},
                   {QStringLiteral("role"), QStringLiteral("root")}}},
                 {"/v3/auth/enable", {}}}) {
            std::optional<rebound::Result<QByteArray>> answer;
            QEventLoop loop;
            QTimer::singleShot(10'000, &loop, &QEventLoop::quit);
            wire.call(QString::fromLatin1(path), body, [&](rebound::Result<QByteArray> r) {
                answer = std::move(r);
                loop.quit();
            });
            if (!answer)
                loop.exec();
            if (!answer)
                return QStringLiteral("%1: no answer").arg(QLatin1String(path));
            if (!*answer)
                return QStringLiteral("%1: %2").arg(QLatin1String(path), answer->error().message);
        }
        return {};
    }

    QString url;
    quint16 clientPort = 0;
    QString error;
    /// Set before start(): serve clients over TLS with this certificate and key.
    QString certFile;
    QString keyFile;
    QStringList extraArgs;

private:
    bool waitReady()
    {
        return LoopbackServer::waitReady(*m_process, logPath(), "ready to serve client requests",
                                         &m_readyCount, 15000, error);
    }

    QString logPath() const { return m_dir.path() + QStringLiteral("/etcd.log"); }

    QTemporaryDir m_dir;
    qsizetype m_readyCount = 0;
    quint16 m_peerPort = 0;
    std::unique_ptr<QProcess> m_process;
};
