#pragma once

#include "engine/EngineView.h"

#include <QHash>
#include <QList>
#include <QString>

namespace rebound {

/// Views waiting for a task's attempt list (EngineView::attempts), by task key. Each hears the
/// reader's answer, or in words why none will come; none waits for ever.
class AttemptWaiters final
{
public:
    using Done = EngineView::AttemptsDone;

    void wait(const QString &key, Done done) { m_waiting[key] << std::move(done); }
    void answer(const QString &key, const QList<RemoteAttempt> &attempts);
    void fail(const QString &key, const Error &why);
    /// Every waiter hears `why` (the engine stops).
    void failAll(const Error &why);

private:
    QHash<QString, QList<Done>> m_waiting;
};

} // namespace rebound
