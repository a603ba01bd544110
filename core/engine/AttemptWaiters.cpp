#include "engine/AttemptWaiters.h"

namespace rebound {

void AttemptWaiters::answer(const QString &key, const QList<RemoteAttempt> &attempts)
{
    for (const Done &done : m_waiting.take(key))
        done(attempts);
}

void AttemptWaiters::fail(const QString &key, const Error &why)
{
    for (const Done &done : m_waiting.take(key))
        done(why);
}

void AttemptWaiters::failAll(const Error &why)
{
    // Taken first: a waiter that asks again while hearing this starts a fresh list.
    for (const QList<Done> &waiting : std::exchange(m_waiting, {}))
        for (const Done &done : waiting)
            done(why);
}

} // namespace rebound
