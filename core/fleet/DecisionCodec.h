#pragma once

#include "engine/SharedDecision.h"
#include "support/Result.h"

#include <QByteArray>
#include <QList>

namespace rebound {

/// How a shared decision travels through Redis: one compact JSON object per task
/// ({"e":endpoint,"i":task id,"m":member,"a":attempt,"k":"retry"|"defer"|"stop","r":reason,
/// "due":ms,"at":ms, and for an unhealthy deferral "hs","us","er","lat"}), and a batch of
/// changes as one stream entry: a JSON array of such objects, or {"e","i","m","gone":true} for
/// a decision withdrawn.
class DecisionCodec final
{
public:
    /// One change in a batch: the decision, or its withdrawal.
    struct Change
    {
        SharedDecision decision; ///< endpoint, taskId and member only when `gone`
        bool gone = false;
    };

    static QByteArray encode(const SharedDecision &d);
    static Result<SharedDecision> decode(const QByteArray &json);
    static QByteArray encodeBatch(const QList<Change> &changes);
    static Result<QList<Change>> decodeBatch(const QByteArray &json);
    /// The hash field of a task: endpoint, a line break, task id (endpoints hold none).
    static QByteArray field(const QString &endpoint, const QString &taskId);
};

} // namespace rebound
