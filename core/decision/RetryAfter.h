#pragma once

#include "time/Time.h"

#include <QByteArrayView>

#include <optional>

namespace rebound {

/// The Retry-After header (RFC 9110 §10.2.3): delay-seconds or an HTTP-date.
class RetryAfter final
{
public:
    /// The delay the server asked for, counted from `nowWallMs` (the end of the failed attempt).
    /// A date in the past gives 0; garbage, negative or fractional numbers give nullopt. Huge
    /// delay-seconds saturate rather than overflow; policies cap them (maxRetryAfterMs).
    static std::optional<Duration> parse(QByteArrayView value, std::int64_t nowWallMs);
};

} // namespace rebound
