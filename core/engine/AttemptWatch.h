#pragma once

#include "engine/TaskBook.h"
#include "guards/GuardRegistry.h"
#include "remote/RemoteTask.h"
#include "time/Clock.h"
#include "time/TimerQueue.h"

#include <functional>
#include <optional>

namespace rebound {

/// The timeouts of running attempts: one per task, counted from the attempt's start on the
/// service (as far as this console can know it) plus a grace for a service that honours
/// deadlineMs and ends the attempt itself. When one runs out for the attempt still watched,
/// `overrun` hears the task; what to do about it (abort, or leave it to its owner) is the
/// engine's.
class AttemptWatch final
{
public:
    using Overrun = std::function<void(TrackedTask &task)>;

    AttemptWatch(TaskBook &book, GuardRegistry &guards, const Clock &clock, TimerSource &timers,
                 Overrun overrun);
    AttemptWatch(const AttemptWatch &) = delete;
    AttemptWatch &operator=(const AttemptWatch &) = delete;

    /// What the service shows of the task's latest attempt: a new running one is watched, an
    /// ended one no longer. `notRunningAt` is when the attempt was last seen not running.
    void follow(TrackedTask &task, const RemoteAttempt &latest,
                std::optional<SteadyTime> notRunningAt);
    /// Watches the running attempt of a task again from its own start (a member that gained
    /// its shard); nothing when it is watched already or not running.
    void resume(TrackedTask &task);
    /// Looks at the task again after `delay` (an abort that could not go yet).
    void lookAgain(const QString &key, Duration delay);
    void cancel(const QString &key) { m_queue.cancel(key); }
    /// When this console ends the task's running attempt unless it ends first.
    std::optional<SteadyTime> dueOf(const QString &key) const { return m_queue.dueOf(key); }

    /// Extra time past an attempt's timeout before this console ends the attempt itself.
    static constexpr Duration kAbortGrace{500};

private:
    void onDue(const QString &key);

    TaskBook &m_book;
    GuardRegistry &m_guards;
    const Clock &m_clock;
    Overrun m_overrun;
    TimerQueue m_queue;
};

} // namespace rebound
