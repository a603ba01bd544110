#pragma once

#include "engine/TaskRow.h"
#include "engine/TaskState.h"
#include "time/Clock.h"

#include <QCoreApplication>
#include <QString>
#include <QVariant>

namespace rebound {

class EngineView;

/// The words of the task table, as an operator reads them: a state's and an ending's name, what
/// a deferred task waits for and until when, why retries stopped (with the policy that said so),
/// and the columns' headers and tooltips. Apart from the model so that the table's mechanics
/// (batches, counts, sorting) and its language change separately.
class TaskRowText final
{
    Q_DECLARE_TR_FUNCTIONS(TaskRowText)

public:
    TaskRowText(const EngineView &view, const Clock &clock);

    /// The operator's name of a state (translated); the engine's key is toText(TaskState).
    static QString stateLabel(TaskState state);
    /// The badge of a condition: a state, or for an ended task its own ending (exhausted,
    /// deadline exceeded, not retryable, cancelled).
    static QString badgeLabel(const TaskCondition &condition);
    /// Why retries stopped, as an operator reads it.
    static QString stopLabel(StopReason reason);
    /// "420 ms" under a second, "1.4 s" from there.
    static QString latencyText(double ms);
    /// A short name of an endpoint: its host and port.
    static QString shortEndpoint(const QString &endpoint);
    /// A column's header (DisplayRole) or its tooltip (ToolTipRole).
    static QVariant header(int section, int role);

    /// What a deferred task waits for, until when, and the evidence (empty: not deferred).
    QString waitText(const TaskRow &t) const;
    /// Why an ended task ended, with the policy that said so (empty: not ended).
    QString endingToolTip(const TaskRow &t) const;
    /// A steady time as the wall clock's HH:mm:ss.
    QString wallTime(SteadyTime t) const;

private:
    const EngineView &m_view;
    const Clock &m_clock;
};

} // namespace rebound
