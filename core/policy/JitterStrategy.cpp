#include "policy/JitterStrategy.h"

#include "time/RandomSource.h"

#include <algorithm>
#include <array>

namespace rebound {

namespace {

double uniformIn(const JitterBand &b, RandomSource &rng)
{
    return rng.uniform(b.lowMs, b.highMs);
}

JitterBand noneBand(const JitterInputs &in)
{
    return {in.nominalMs, in.nominalMs};
}

JitterBand fullBand(const JitterInputs &in)
{
    return {0, in.nominalMs};
}

JitterBand equalBand(const JitterInputs &in)
{
    return {in.nominalMs / 2, in.nominalMs};
}

// AWS's "decorrelated jitter": the next sleep grows from the previous one, not from d_r.
JitterBand decorrelatedBand(const JitterInputs &in)
{
    return {in.initialMs, std::min(in.capMs, 3 * in.previousSleepMs)};
}

double decorrelatedNext(const JitterInputs &in, RandomSource &rng)
{
    // Drawn before the cap, so a capped sleep stays as likely as the draws above it.
    return std::min(in.capMs, rng.uniform(in.initialMs, 3 * in.previousSleepMs));
}

JitterBand proportionalBand(const JitterInputs &in)
{
    return {in.nominalMs * (1 - in.factor), in.nominalMs * (1 + in.factor)};
}

template <JitterBand (*Band)(const JitterInputs &)>
double drawnFromBand(const JitterInputs &in, RandomSource &rng)
{
    return uniformIn(Band(in), rng);
}

constexpr std::array<JitterStrategy, 5> kStrategies = {{
    {JitterMode::None, "none", "d", &noneBand, &drawnFromBand<&noneBand>},
    {JitterMode::Full, "full", "U[0, d]", &fullBand, &drawnFromBand<&fullBand>},
    {JitterMode::Equal, "equal", "d/2 + U[0, d/2]", &equalBand, &drawnFromBand<&equalBand>},
    {JitterMode::Decorrelated, "decorrelated", "min(cap, U[initial, 3 x previous sleep])",
     &decorrelatedBand, &decorrelatedNext},
    {JitterMode::Proportional, "proportional", "U[d (1 - factor), d (1 + factor)]",
     &proportionalBand, &drawnFromBand<&proportionalBand>},
}};

constexpr bool tableFollowsTheEnum()
{
    for (std::size_t i = 0; i < kStrategies.size(); ++i) {
        if (static_cast<std::size_t>(kStrategies[i].mode) != i)
            return false;
    }
    return true;
}
static_assert(tableFollowsTheEnum(), "kStrategies must list the modes in JitterMode's order");

} // namespace

const JitterStrategy &JitterStrategy::of(JitterMode mode)
{
    return kStrategies[static_cast<std::size_t>(mode)];
}

std::optional<JitterMode> JitterStrategy::fromName(const QString &name)
{
    for (const JitterStrategy &s : kStrategies) {
        if (name == QLatin1String(s.name))
            return s.mode;
    }
    return std::nullopt;
}

std::span<const JitterStrategy> JitterStrategy::all()
{
    return kStrategies;
}

QStringList JitterStrategy::names()
{
    QStringList out;
    for (const JitterStrategy &s : kStrategies)
        out << QString::fromLatin1(s.name);
    return out;
}

QString toText(JitterMode m)
{
    return QString::fromLatin1(JitterStrategy::of(m).name);
}

std::optional<JitterMode> jitterModeFromString(const QString &s)
{
    return JitterStrategy::fromName(s);
}

} // namespace rebound
