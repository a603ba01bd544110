#pragma once

#include "decision/RetryDecision.h"
#include "engine/TaskStateMachine.h"
#include "remote/RemoteTask.h"
#include "support/Boxed.h"
#include "time/Time.h"

#include <QList>
#include <QMetaType>
#include <QString>

#include <optional>

namespace rebound {

struct TrackedTask;

/// What a view shows of one task, as a value the engine hands out with each batch of changes
/// (EngineView::rowsUpdated) and on request (EngineView::row). It holds the task's own facts at
/// that moment. What moves without the task changing — its type's breaker tier, a pause, the
/// shard's owner, and when its next attempt is due (a read-only console or a held permit moves
/// it quietly) — is asked of EngineView when shown, so a shown value is never stale and a
/// breaker opening does not re-send every row of its type.
struct TaskRow
{
    QString key; ///< EngineView's key of the task (endpoint + id)
    /// Dense and unique per task, in first-sight order: a view indexes its rows by it.
    int serial = -1;
    QString endpoint;
    RemoteTask remote;       ///< the service's view of the task, as last seen
    TaskCondition condition; ///< the engine's state and its cause
    /// The decision that stands for the current failed attempt (this console's or, in a fleet,
    /// the owning member's), and when it was made. Boxed: most rows have none.
    Boxed<RetryDecision> decision;
    SteadyTime decidedAt{};
    /// In a fleet: the member whose published decision the task carries (empty: none), and
    /// whether that decision is the one standing for the current attempt.
    QString decidedBy;
    bool foreignDecision = false;
    QString policyName; ///< the policy that decided last, and its version
    int policyVersion = 0;
    int allowanceBase = 0; ///< attempts before an operator's fresh allowance
    QString lastError;     ///< the last problem an operator should read (e.g. someone acted first)

    /// The key of the task `taskId` of `endpoint`.
    static QString keyOf(const QString &endpoint, const QString &taskId);
    /// `t` as a row.
    static TaskRow of(const TrackedTask &t);
};

} // namespace rebound

Q_DECLARE_METATYPE(rebound::TaskRow)
