#pragma once

// Test helper: runs a program to its end and returns its exit code and output. This thread's
// event loop keeps turning meanwhile, so servers and log readers living on it keep working.
#include <QFile>
#include <QProcess>
#include <QTest>

struct ProcessRun
{
    int code = -1; ///< exit code; -1 timed out (killed), -2 crashed
    QString out;
    QString err;
};

inline ProcessRun runProcess(const QString &program, const QStringList &args,
                             const QProcessEnvironment &env, const QByteArray &input = {},
                             int timeoutMs = 60'000)
{
    QProcess p;
    p.setProcessEnvironment(env);
    p.start(program, args);
    p.write(input);
    p.closeWriteChannel();
    if (!QTest::qWaitFor([&p] { return p.state() == QProcess::NotRunning; }, timeoutMs)) {
        p.kill();
        p.waitForFinished();
        return {-1, QString::fromUtf8(p.readAllStandardOutput()), QStringLiteral("timed out")};
    }
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2,
            QString::fromUtf8(p.readAllStandardOutput()),
            QString::fromUtf8(p.readAllStandardError())};
}

/// Waits (at most `ms`) until the file at `path` — a process's log — contains `needle`.
inline bool logSays(const QString &path, const QByteArray &needle, int ms = 15'000)
{
    return QTest::qWaitFor(
        [&] {
            QFile f(path);
            return f.open(QIODevice::ReadOnly) && f.readAll().contains(needle);
        },
        ms);
}
