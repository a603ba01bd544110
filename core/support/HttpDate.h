#pragma once

#include <QByteArray>
#include <QByteArrayView>

#include <cstdint>
#include <optional>

namespace rebound {

/// HTTP-date (RFC 9110 §5.6.7): IMF-fixdate, and the obsolete RFC 850 and asctime forms that
/// recipients must still accept. Times are milliseconds since the Unix epoch, UTC.
class HttpDate final
{
public:
    /// `nowMs` resolves RFC 850's two-digit years (a year more than 50 years ahead is taken
    /// from the previous century).
    static std::optional<std::int64_t> parse(QByteArrayView text, std::int64_t nowMs);
    static QByteArray format(std::int64_t msSinceEpoch); ///< IMF-fixdate
};

} // namespace rebound
