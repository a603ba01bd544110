#include "remote/TraceContext.h"

#include <cmath>

namespace rebound {

namespace {
QByteArray randomHex(RandomSource &rng, int digits)
{
    static const char kHex[] = "0123456789abcdef";
    QByteArray out(digits, '0');
    bool allZero = true;
    for (int i = 0; i < digits; ++i) {
        const int v = std::min(15, static_cast<int>(rng.nextUnit() * 16));
        out[i] = kHex[v];
        allZero = allZero && v == 0;
    }
    if (allZero)
        out[digits - 1] = '1'; // all-zero ids are invalid
    return out;
}

bool isLowerHex(QByteArrayView s)
{
    for (char c : s) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    return true;
}

bool allZeros(QByteArrayView s)
{
    for (char c : s) {
        if (c != '0')
            return false;
    }
    return true;
}
} // namespace

TraceContext TraceContext::generate(RandomSource &rng)
{
    return TraceContext{randomHex(rng, 32), randomHex(rng, 16), true};
}

std::optional<TraceContext> TraceContext::parse(QByteArrayView h)
{
    h = h.trimmed();
    // version 00 is exactly 55 characters; later versions may append fields after a '-'.
    if (h.size() < 55 || h[2] != '-' || h[35] != '-' || h[52] != '-')
        return std::nullopt;
    const QByteArrayView version = h.first(2), trace = h.sliced(3, 32), parent = h.sliced(36, 16),
                         flags = h.sliced(53, 2);
    if (!isLowerHex(version) || !isLowerHex(trace) || !isLowerHex(parent) || !isLowerHex(flags))
        return std::nullopt;
    if (version == "ff" || (version == "00" && h.size() != 55) || (h.size() > 55 && h[55] != '-'))
        return std::nullopt;
    if (allZeros(trace) || allZeros(parent))
        return std::nullopt;
    const int f = QByteArray(flags.data(), 2).toInt(nullptr, 16);
    return TraceContext{trace.toByteArray(), parent.toByteArray(), (f & 1) != 0};
}

QByteArray TraceContext::header() const
{
    return "00-" + traceId + '-' + parentId + (sampled ? "-01" : "-00");
}

} // namespace rebound
