#include "engine/AttemptWatch.h"

#include <algorithm>

namespace rebound {

AttemptWatch::AttemptWatch(TaskBook &book, GuardRegistry &guards, const Clock &clock,
                           TimerSource &timers, Overrun overrun)
    : m_book(book), m_guards(guards), m_clock(clock), m_overrun(std::move(overrun)),
      m_queue(clock, timers)
{
    m_queue.setHandler([this](const QString &key) { onDue(key); });
}

void AttemptWatch::follow(TrackedTask &t, const RemoteAttempt &a,
                          std::optional<SteadyTime> notRunningAt)
{
    if (a.ended()) {
        if (t.watchedAttempt == a.number)
            m_queue.cancel(t.key);
        return;
    }
    if (t.watchedAttempt == a.number)
        return;
    // The timeout counts from the attempt's start on the service (TaskBook::attemptStart); an
    // attempt this console started carries the deadline it was sent with.
    const SteadyTime start = m_book.attemptStart(a, notRunningAt);
    const Duration timeout = t.deadlineSentAttempt == a.number
                                 ? t.deadlineSent
                                 : m_guards.attemptTimeout({t.endpoint, t.remote.type});
    t.watchedAttempt = a.number;
    t.attemptStartAt = start;
    t.attemptTimeout = timeout;
    m_queue.schedule(t.key, std::max(m_clock.steadyNow(), start + timeout + kAbortGrace));
}

void AttemptWatch::resume(TrackedTask &t)
{
    if (!t.remote.lastAttempt || t.remote.lastAttempt->ended() ||
        t.watchedAttempt != t.remote.lastAttempt->number || m_queue.dueOf(t.key))
        return;
    m_queue.schedule(
        t.key, std::max(m_clock.steadyNow(), t.attemptStartAt + t.attemptTimeout + kAbortGrace));
}

void AttemptWatch::lookAgain(const QString &key, Duration delay)
{
    m_queue.schedule(key, m_clock.steadyNow() + delay);
}

void AttemptWatch::onDue(const QString &key)
{
    TrackedTask *t = m_book.find(key);
    // Only the attempt still watched: one that ended or was replaced since is no overrun.
    if (!t || !t->remote.lastAttempt || t->remote.lastAttempt->ended() ||
        t->remote.lastAttempt->number != t->watchedAttempt)
        return;
    m_overrun(*t);
}

} // namespace rebound
