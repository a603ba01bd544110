#include "time/TimerQueue.h"

namespace rebound {

TimerQueue::TimerQueue(const Clock &clock, TimerSource &timers) : m_clock(clock), m_timers(timers)
{}

TimerQueue::~TimerQueue()
{
    if (m_timer)
        m_timers.cancel(m_timer);
}

void TimerQueue::schedule(const QString &key, SteadyTime due)
{
    const std::uint64_t seq = ++m_seq;
    m_live.insert(key, Live{due, seq});
    m_heap.push(Entry{due, seq, key});
    // Drop stale heap entries lazily, but never let them pile up beyond twice the live ones.
    if (m_heap.size() > 2 * static_cast<std::size_t>(m_live.size()) + 1024) {
        decltype(m_heap) fresh;
        for (auto it = m_live.begin(); it != m_live.end(); ++it)
            fresh.push(Entry{it->due, it->seq, it.key()});
        m_heap.swap(fresh);
    }
    rearm();
}

bool TimerQueue::cancel(const QString &key)
{
    const bool had = m_live.remove(key) > 0;
    if (had && m_live.isEmpty() && m_timer) {
        m_timers.cancel(m_timer);
        m_timer = 0;
        m_heap = {};
    }
    return had;
}

std::optional<SteadyTime> TimerQueue::dueOf(const QString &key) const
{
    const auto it = m_live.constFind(key);
    if (it == m_live.constEnd())
        return std::nullopt;
    return it->due;
}

void TimerQueue::rearm()
{
    while (!m_heap.empty()) {
        const Entry &top = m_heap.top();
        const auto it = m_live.constFind(top.key);
        if (it != m_live.constEnd() && it->seq == top.seq)
            break;
        m_heap.pop(); // cancelled or re-scheduled
    }
    if (m_heap.empty()) {
        if (m_timer)
            m_timers.cancel(m_timer);
        m_timer = 0;
        return;
    }
    const SteadyTime due = m_heap.top().due;
    if (m_timer && m_armedFor == due)
        return;
    if (m_timer)
        m_timers.cancel(m_timer);
    m_armedFor = due;
    m_timer = m_timers.schedule(due, [this] {
        m_timer = 0;
        fire();
    });
}

void TimerQueue::fire()
{
    const SteadyTime now = m_clock.steadyNow();
    QStringList due;
    while (!m_heap.empty() && m_heap.top().due <= now) {
        const Entry e = m_heap.top();
        m_heap.pop();
        const auto it = m_live.constFind(e.key);
        if (it == m_live.constEnd() || it->seq != e.seq)
            continue;
        m_live.erase(it);
        due << e.key;
    }
    rearm();
    for (const QString &key : std::as_const(due)) {
        if (m_handler)
            m_handler(key); // may schedule again
    }
}

} // namespace rebound
