#include "policy/BreakerConfig.h"

namespace rebound {

QString toText(SlidingWindowType t)
{
    return t == SlidingWindowType::CountBased ? QStringLiteral("count") : QStringLiteral("time");
}

std::optional<SlidingWindowType> slidingWindowTypeFromString(const QString &s)
{
    if (s == QLatin1String("count"))
        return SlidingWindowType::CountBased;
    if (s == QLatin1String("time"))
        return SlidingWindowType::TimeBased;
    return std::nullopt;
}

} // namespace rebound
