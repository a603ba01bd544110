#pragma once

#include "remote/EndpointPoller.h"
#include "time/Clock.h"

#include <QHash>
#include <QObject>

class QLabel;
class QStatusBar;

namespace rebound {

class EngineView;

/// Each watched endpoint's line in the status bar: its state, what the service got wrong when it
/// misbehaves, the next try, whether changes come by push or polling, and the last sync; the
/// tooltip has the whole error and why push is down.
class EndpointStatusBar final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EndpointStatusBar)

public:
    EndpointStatusBar(const EngineView &view, const Clock &clock, QStatusBar *bar);

    void show(const QString &endpoint, const rebound::EndpointStatus &status);
    /// The endpoint is no longer watched: its line goes.
    void remove(const QString &endpoint);

private:
    const EngineView &m_view;
    const Clock &m_clock;
    QStatusBar *m_bar;
    QHash<QString, QLabel *> m_labels;
};

} // namespace rebound
