#include "decision/RetryAfter.h"

#include "support/HttpDate.h"

#include <limits>

namespace rebound {

std::optional<Duration> RetryAfter::parse(QByteArrayView value, std::int64_t nowWallMs)
{
    value = value.trimmed();
    if (value.isEmpty())
        return std::nullopt;
    if (value[0] >= '0' && value[0] <= '9') {
        // delay-seconds = 1*DIGIT
        constexpr std::int64_t kMaxSeconds = std::numeric_limits<std::int64_t>::max() / 1000;
        std::int64_t seconds = 0;
        for (char c : value) {
            if (c < '0' || c > '9')
                return std::nullopt;
            if (seconds < kMaxSeconds)
                seconds = std::min(kMaxSeconds, seconds * 10 + (c - '0'));
        }
        return Duration(seconds * 1000);
    }
    const auto at = HttpDate::parse(value, nowWallMs);
    if (!at)
        return std::nullopt;
    return Duration(*at > nowWallMs ? *at - nowWallMs : 0);
}

} // namespace rebound
