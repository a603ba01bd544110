#pragma once

// Test helper: the peak resident memory (VmHWM) of a process, for "bounded memory" checks that
// compare a peak before and after one hostile input.
#include <QFile>

namespace peakmemory_detail {
inline qint64 statusKiB(qint64 pid, const char *field)
{
    QFile f(pid ? QStringLiteral("/proc/%1/status").arg(pid) : QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    const QByteArray key = QByteArray(field) + ':';
    for (const QByteArray &line : f.readAll().split('\n')) {
        if (line.startsWith(key))
            return line.mid(key.size()).trimmed().split(' ').first().toLongLong();
    }
    return -1;
}
} // namespace peakmemory_detail

/// VmHWM of `pid` (0: this process) in KiB, or -1 when unknown.
inline qint64 peakRssKiB(qint64 pid = 0)
{
    return peakmemory_detail::statusKiB(pid, "VmHWM");
}

/// Resets this process's peak to its current resident size (Linux: clear_refs "5") and returns
/// that size in KiB, so a later peakRssKiB() measures one step alone rather than the highest
/// peak of everything run before it. Falls back to the current peak where the reset is refused.
inline qint64 resetPeakRssKiB()
{
    QFile f(QStringLiteral("/proc/self/clear_refs"));
    if (f.open(QIODevice::WriteOnly) && f.write("5") == 1) {
        f.close();
        return peakmemory_detail::statusKiB(0, "VmRSS");
    }
    return peakRssKiB();
}
