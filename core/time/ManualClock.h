#pragma once

#include "time/Clock.h"
#include "time/TimerSource.h"

#include <map>
#include <utility>

namespace rebound {

/// A clock that only moves when told to, and a timer source driven by it. Tests advance it and
/// assert exact values; timers fire in due-time order (ties: scheduling order), each with the
/// clock set to its due time.
class ManualClock final : public Clock, public TimerSource
{
public:
    explicit ManualClock(SteadyTime start = SteadyTime{},
                         std::int64_t wallStartMs = 1'767'225'600'000)
        : m_steady(start), m_wallOffsetMs(wallStartMs - toMs(start))
    {}

    SteadyTime steadyNow() const override { return m_steady; }
    std::int64_t wallNowMs() const override { return toMs(m_steady) + m_wallOffsetMs; }

    /// Moves both clocks forward, firing every timer due on the way.
    void advance(Duration d);
    void advanceTo(SteadyTime t);
    /// Moves the wall clock alone (NTP step); steady time is unaffected.
    void stepWall(Duration d) { m_wallOffsetMs += d.count(); }

    TimerId schedule(SteadyTime due, std::function<void()> callback) override;
    bool cancel(TimerId id) override;
    std::size_t pendingTimers() const { return m_timers.size(); }

private:
    SteadyTime m_steady;
    std::int64_t m_wallOffsetMs;
    TimerId m_nextId = 1;
    std::map<std::pair<SteadyTime, TimerId>, std::function<void()>> m_timers;
};

} // namespace rebound
