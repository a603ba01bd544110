#pragma once

#include "time/Clock.h"
#include "time/TimerSource.h"

#include <QHash>
#include <QString>

#include <functional>
#include <queue>
#include <vector>

namespace rebound {

/// Many due times, one timer: a binary heap keyed by due time, with lazy removal, driving a
/// single TimerSource timer armed for the earliest entry. Scheduling, re-scheduling and
/// cancelling are O(log n); 100 000 scheduled retries cost a few MB, not 100 000 QTimers.
class TimerQueue final
{
public:
    using Handler = std::function<void(const QString &key)>;

    TimerQueue(const Clock &clock, TimerSource &timers);
    ~TimerQueue();
    TimerQueue(const TimerQueue &) = delete;
    TimerQueue &operator=(const TimerQueue &) = delete;

    void setHandler(Handler handler) { m_handler = std::move(handler); }
    /// Schedules `key` at `due`, replacing an earlier schedule of the same key.
    void schedule(const QString &key, SteadyTime due);
    bool cancel(const QString &key);
    std::optional<SteadyTime> dueOf(const QString &key) const;
    qsizetype size() const { return m_live.size(); }

private:
    struct Entry
    {
        SteadyTime due;
        std::uint64_t seq;
        QString key;
        bool operator>(const Entry &o) const { return due != o.due ? due > o.due : seq > o.seq; }
    };
    struct Live
    {
        SteadyTime due;
        std::uint64_t seq;
    };
    void rearm();
    void fire();

    const Clock &m_clock;
    TimerSource &m_timers;
    Handler m_handler;
    std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> m_heap;
    QHash<QString, Live> m_live;
    std::uint64_t m_seq = 0;
    TimerId m_timer = 0;
    SteadyTime m_armedFor{};
};

} // namespace rebound
