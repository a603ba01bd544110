#include "time/ManualClock.h"

namespace rebound {

void ManualClock::advance(Duration d)
{
    advanceTo(m_steady + d);
}

void ManualClock::advanceTo(SteadyTime t)
{
    while (!m_timers.empty() && m_timers.begin()->first.first <= t) {
        auto node = m_timers.extract(m_timers.begin());
        if (node.key().first > m_steady)
            m_steady = node.key().first;
        node.mapped()(); // may schedule or cancel other timers
    }
    if (t > m_steady)
        m_steady = t;
}

TimerId ManualClock::schedule(SteadyTime due, std::function<void()> callback)
{
    const TimerId id = m_nextId++;
    m_timers.emplace(std::make_pair(due, id), std::move(callback));
    return id;
}

bool ManualClock::cancel(TimerId id)
{
    for (auto it = m_timers.begin(); it != m_timers.end(); ++it) {
        if (it->first.second == id) {
            m_timers.erase(it);
            return true;
        }
    }
    return false;
}

} // namespace rebound
