#include "time/QtTimerSource.h"

#include <QTimer>

#include <algorithm>

namespace rebound {

QtTimerSource::QtTimerSource(const Clock &clock, QObject *parent) : QObject(parent), m_clock(clock)
{}

QtTimerSource::~QtTimerSource()
{
    qDeleteAll(m_timers);
}

TimerId QtTimerSource::schedule(SteadyTime due, std::function<void()> callback)
{
    const TimerId id = m_nextId++;
    auto *timer = new QTimer;
    timer->setSingleShot(true);
    timer->setTimerType(Qt::PreciseTimer);
    const auto wait = std::max<std::int64_t>(0, toMs(due - m_clock.steadyNow()));
    connect(timer, &QTimer::timeout, this, [this, id, cb = std::move(callback)] {
        if (QTimer *t = m_timers.take(id))
            t->deleteLater();
        cb();
    });
    m_timers.insert(id, timer);
    timer->start(std::chrono::milliseconds(wait));
    return id;
}

bool QtTimerSource::cancel(TimerId id)
{
    QTimer *t = m_timers.take(id);
    if (!t)
        return false;
    t->stop();
    t->deleteLater();
    return true;
}

} // namespace rebound
