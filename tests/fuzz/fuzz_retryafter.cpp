// Retry-After and HTTP-date: no overflow, no negative delay, and every date we format parses back.
#include "decision/RetryAfter.h"
#include "support/HttpDate.h"

#include <cstdlib>
#include <cstring>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray value(reinterpret_cast<const char *>(data), static_cast<qsizetype>(size));
    const std::int64_t now = 1'767'225'600'000;
    if (const auto d = rebound::RetryAfter::parse(value, now); d && d->count() < 0)
        std::abort();
    if (const auto t = rebound::HttpDate::parse(value, now)) {
        // Anything accepted must be a real instant that formats and parses back to itself.
        const QByteArray again = rebound::HttpDate::format(*t);
        const auto back = rebound::HttpDate::parse(again, now);
        if (!back || *back != *t)
            std::abort();
    }
    if (size >= 8) {
        std::int64_t ms = 0;
        std::memcpy(&ms, data, sizeof ms);
        ms %= 253'402'300'800'000; // up to year 9999
        if (ms < 0)
            ms = -ms;
        const auto back = rebound::HttpDate::parse(rebound::HttpDate::format(ms), now);
        if (!back || *back != ms / 1000 * 1000)
            std::abort();
    }
    return 0;
}
