#pragma once

#include "time/Clock.h"

namespace rebound {

/// The real clocks: std::chrono::steady_clock and the system wall clock.
class SystemClock final : public Clock
{
public:
    SteadyTime steadyNow() const override;
    std::int64_t wallNowMs() const override;
};

} // namespace rebound
