#pragma once

#include <QString>
#include <QStringList>

#include <optional>
#include <span>

namespace rebound {

class RandomSource;

/// How a retry's delay is spread around its nominal value d_r. A new mode is one enumerator
/// here and one row in JitterStrategy.cpp's table: the policy schema, `reboundctl schedule`,
/// the policy editor's preview and the backoff sequence all read that table.
enum class JitterMode
{
    None,
    Full,
    Equal,
    Decorrelated,
    Proportional
};

/// What a mode may read for retry r.
struct JitterInputs
{
    double nominalMs = 0;       ///< d_r
    double previousSleepMs = 0; ///< the previous retry's sleep (the first: the initial delay)
    double initialMs = 0;
    double capMs = 0;
    double factor = 0; ///< randomization factor, [0, 1]
};

/// The interval a delay can fall in.
struct JitterBand
{
    double lowMs = 0;
    double highMs = 0;
};

struct JitterStrategy
{
    JitterMode mode;
    const char *name;    ///< as the policy document and the CLI spell it
    const char *formula; ///< for help texts: what the delay is drawn from
    /// Where the delay can fall. For a preview, `previousSleepMs` is the previous band's top.
    JitterBand (*band)(const JitterInputs &in);
    /// The delay itself.
    double (*next)(const JitterInputs &in, RandomSource &rng);

    static const JitterStrategy &of(JitterMode mode);
    static std::optional<JitterMode> fromName(const QString &name);
    static std::span<const JitterStrategy> all();
    /// Every mode's name, in table order.
    static QStringList names();
};

QString toText(JitterMode m);
std::optional<JitterMode> jitterModeFromString(const QString &s);

} // namespace rebound
