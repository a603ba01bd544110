#pragma once

// Test helper: the peak resident memory (VmHWM) of a process, for "bounded memory" checks that
// compare a peak before and after one hostile input.
#include <QFile>

/// VmHWM of `pid` (0: this process) in KiB, or -1 when unknown.
inline qint64 peakRssKiB(qint64 pid = 0)
{
    QFile f(pid ? QStringLiteral("/proc/%1/status").arg(pid) : QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : f.readAll().split('\n')) {
        if (line.startsWith("VmHWM:"))
            return line.mid(6).trimmed().split(' ').first().toLongLong();
    }
    return -1;
}
