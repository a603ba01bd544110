#pragma once

#include "time/Time.h"

#include <QDateTime>

namespace rebound {

/// Source of time. Steady time drives every schedule and window; wall time is only for display,
/// for persisted timestamps and for converting an HTTP-date into a delay.
class Clock
{
public:
    virtual ~Clock() = default;
    virtual SteadyTime steadyNow() const = 0;
    /// Milliseconds since the Unix epoch, UTC.
    virtual std::int64_t wallNowMs() const = 0;
    QDateTime wallNow() const { return QDateTime::fromMSecsSinceEpoch(wallNowMs(), Qt::UTC); }
};

} // namespace rebound
