#pragma once

#include "time/Clock.h"
#include "time/TimerSource.h"

#include <QHash>
#include <QObject>

class QTimer;

namespace rebound {

/// TimerSource on the Qt event loop of the thread that owns it; due times are read against the
/// given clock, so a timer scheduled for the past fires on the next loop iteration.
class QtTimerSource final : public QObject, public TimerSource
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(QtTimerSource)

public:
    explicit QtTimerSource(const Clock &clock, QObject *parent = nullptr);
    ~QtTimerSource() override;

    TimerId schedule(SteadyTime due, std::function<void()> callback) override;
    bool cancel(TimerId id) override;

private:
    const Clock &m_clock;
    TimerId m_nextId = 1;
    QHash<TimerId, QTimer *> m_timers;
};

} // namespace rebound
