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
} // namespace cli
