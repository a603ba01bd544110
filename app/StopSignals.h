#pragma once

#include <QObject>

class QSocketNotifier;

/// SIGINT and SIGTERM as a Qt signal, so that `reboundctl watch` and the console stop cleanly —
/// leave the fleet at once, send their queued spans, write their history — instead of dying
/// mid-flight. The handler only writes to a pipe (all it may do); the event loop reads it. A
/// second signal while stopping ends the process as the default would.
class StopSignals final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(StopSignals)

public:
    /// One per process: it installs the handlers, and its destructor restores the defaults.
    explicit StopSignals(QObject *parent = nullptr);
    ~StopSignals() override;

Q_SIGNALS:
    void stopRequested(int signal);

private:
    QSocketNotifier *m_notifier = nullptr;
};
