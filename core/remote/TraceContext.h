#pragma once

#include "time/RandomSource.h"

#include <QByteArray>

#include <optional>

namespace rebound {

/// W3C Trace Context `traceparent` (version 00): `00-<32 hex trace-id>-<16 hex parent-id>-<flags>`.
struct TraceContext
{
    QByteArray traceId;  ///< 32 lowercase hex digits, not all zero
    QByteArray parentId; ///< 16 lowercase hex digits, not all zero
    bool sampled = true;

    static TraceContext generate(RandomSource &rng);
    static std::optional<TraceContext> parse(QByteArrayView header);
    QByteArray header() const;
};

} // namespace rebound
