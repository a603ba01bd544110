#pragma once

#include "time/Time.h"

#include <cstdint>
#include <functional>

namespace rebound {

using TimerId = std::uint64_t;

/// Schedules callbacks on the steady time line. Implementations run callbacks on the thread
/// that owns the source (the Qt event loop for QtTimerSource, the test for ManualTimerSource).
class TimerSource
{
public:
    virtual ~TimerSource() = default;
    /// Runs `callback` once, at or after `due`. Returns an id for cancel(); never 0.
    virtual TimerId schedule(SteadyTime due, std::function<void()> callback) = 0;
    /// Cancels a pending timer; returns false when it already ran or never existed.
    virtual bool cancel(TimerId id) = 0;
};

} // namespace rebound
