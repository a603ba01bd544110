#include "policy/BackoffConfig.h"

#include <array>

namespace rebound {

namespace {
constexpr std::array<const char *, 5> kNames = {"none", "full", "equal", "decorrelated",
                                                "proportional"};
}

QString toText(JitterMode m)
{
    return QString::fromLatin1(kNames[static_cast<std::size_t>(m)]);
}

std::optional<JitterMode> jitterModeFromString(const QString &s)
{
    for (std::size_t i = 0; i < kNames.size(); ++i) {
        if (s == QLatin1String(kNames[i]))
            return static_cast<JitterMode>(i);
    }
    return std::nullopt;
}

} // namespace rebound
