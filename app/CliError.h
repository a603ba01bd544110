#pragma once

#include <QString>
#include <QTextStream>

/// How reboundctl ends: 0 success, 1 invalid content (the input was read but is wrong),
/// 2 usage (bad flags, missing files, unusable numbers).
namespace cli {
enum ExitCode
{
    Ok = 0,
    Invalid = 1,
    Usage = 2
};

struct Streams
{
    QTextStream &out;
    QTextStream &err;
};

/// A parser's help with the command's own name in its usage line (Qt's names the program as it
/// was started, e.g. "build/app/reboundctl", and leaves the command out).
inline QString help(const QString &helpText, const QString &command)
{
    return QStringLiteral("Usage: %1 [options]\n").arg(command) + helpText.section(u'\n', 1);
}
} // namespace cli
