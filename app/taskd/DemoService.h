#pragma once

#include "TaskServer.h"
#include "time/QtTimerSource.h"
#include "time/SystemClock.h"

#include <QObject>
#include <QUrl>

#include <memory>

namespace rebound::taskd {

/// The built-in demo backend of `rebound --demo`: an in-process rebound-taskd on a loopback port
/// chosen by the OS, with a random token, the demo failure profile and a task generator.
class DemoService final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(DemoService)

public:
    explicit DemoService(double tasksPerSecond = 3, QObject *parent = nullptr);
    ~DemoService() override;

    /// Starts listening; returns an error message on failure.
    Result<QUrl> start();
    QByteArray token() const { return m_token; }
    TaskServer &server() { return *m_server; }

private:
    double m_rate;
    QByteArray m_token;
    SystemClock m_clock;
    QtTimerSource m_timers;
    std::unique_ptr<TaskServer> m_server;
};

} // namespace rebound::taskd
