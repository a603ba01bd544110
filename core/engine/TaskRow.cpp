#include "engine/TaskRow.h"

#include "engine/TaskBook.h"

namespace rebound {

QString TaskRow::keyOf(const QString &endpoint, const QString &taskId)
{
    return TaskBook::key(endpoint, taskId);
}

TaskRow TaskRow::of(const TrackedTask &t)
{
    TaskRow r;
    r.key = t.key;
    r.serial = t.serial;
    r.endpoint = t.endpoint;
    r.remote = t.remote;
    r.condition = t.condition;
    if (const RetryDecision *d = t.currentDecision())
        r.decision = *d;
    const bool foreign = t.foreign && t.foreign->attempt == t.remote.attempt;
    r.decidedAt = foreign ? t.foreign->decidedAt : t.decidedAt;
    r.decidedBy = t.foreign ? t.foreign->member : QString();
    r.foreignDecision = foreign;
    r.policyName = t.policyName;
    r.policyVersion = t.policyVersion;
    r.allowanceBase = t.allowanceBase;
    r.lastError = t.lastError;
    return r;
}

} // namespace rebound
