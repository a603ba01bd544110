#include "engine/TaskBook.h"

#include <algorithm>

namespace rebound {

TrackedTask *TaskBook::find(const QString &endpoint, const QString &taskId) const
{
    const auto shelf = m_shelves.constFind(endpoint);
    if (shelf == m_shelves.constEnd())
        return nullptr;
    const auto it = shelf->constFind(idKey(taskId));
    return it == shelf->constEnd() ? nullptr : it->get();
}

TrackedTask *TaskBook::find(const QString &key) const
{
    const qsizetype cut = key.indexOf(u'\n');
    return cut < 0 ? nullptr : find(key.first(cut), key.sliced(cut + 1));
}

TrackedTask &TaskBook::obtain(const QString &endpoint, const RemoteTask &remote, bool &added)
{
    std::shared_ptr<TrackedTask> &slot = m_shelves[endpoint][idKey(remote.id)];
    added = !slot;
    if (added) {
        slot = std::make_shared<TrackedTask>();
        slot->key = key(endpoint, remote.id);
        slot->serial = m_nextSerial++;
        slot->endpoint = endpoint;
        slot->remote.id = remote.id;
        slot->remote.type = remote.type;
        slot->remote.version = -1; // older than anything the service sends
    }
    return *slot;
}

void TaskBook::requeue(TrackedTask &t, int afterAttempt, SteadyTime since)
{
    t.allowanceBase = afterAttempt;
    t.allowanceStart = since;
    t.backoff.reset();
    t.lastDecision.reset();
    t.requeuedByOperator = true;
}

void TaskBook::remove(const QString &key)
{
    const qsizetype cut = key.indexOf(u'\n');
    if (cut < 0)
        return;
    const auto shelf = m_shelves.find(key.first(cut));
    if (shelf == m_shelves.end())
        return;
    shelf->remove(idKey(key.sliced(cut + 1)));
    if (shelf->isEmpty())
        m_shelves.erase(shelf);
}

QStringList TaskBook::keys() const
{
    QStringList out;
    out.reserve(size());
    forEach([&out](const TrackedTask &t) { out << t.key; });
    return out;
}

QStringList TaskBook::keysOf(const QString &endpoint) const
{
    QStringList out;
    for (const auto &t : m_shelves.value(endpoint))
        out << t->key;
    return out;
}

qsizetype TaskBook::size() const
{
    qsizetype n = 0;
    for (const Shelf &shelf : m_shelves)
        n += shelf.size();
    return n;
}

std::optional<TaskBook::Sighting> TaskBook::see(TrackedTask &t, const RemoteTask &remote,
                                                std::optional<SteadyTime> endpointLastBatch)
{
    // Versions only grow: an older copy (a replayed answer, a slow resync) must not roll back
    // what a newer poll already showed.
    if (remote.version < t.remote.version)
        return std::nullopt;
    Sighting s;
    // Attempts ended or began between two looks (someone else acted, or the service retried by
    // itself): this console saw attempt k running, or jumped from k to k + 2.
    s.missedAttempts =
        t.remote.attempt > 0 && (remote.attempt > t.remote.attempt + 1 ||
                                 (remote.attempt > t.remote.attempt && t.remote.lastAttempt &&
                                  !t.remote.lastAttempt->ended()));
    const SteadyTime now = m_clock.steadyNow();
    if (t.lastSeenAt != SteadyTime{} && t.remote.attempt < remote.attempt)
        s.notRunningAt = t.lastSeenAt;
    else if (t.lastSeenAt == SteadyTime{})
        s.notRunningAt = endpointLastBatch;
    if (t.firstSeenAt == SteadyTime{}) {
        t.firstSeenAt = now;
        t.createdAt = std::min(now, toSteady(remote.createdAtMs));
    }
    if (remote.lastAttempt) {
        const int n = remote.lastAttempt->number;
        if (!remote.lastAttempt->ended() && t.runningSeenAttempt != n) {
            t.runningSeenAttempt = n;
            t.runningSeenAt = now;
        } else if (remote.lastAttempt->ended() && t.endSeenAttempt != n) {
            t.endSeenAttempt = n;
            t.endSeenAt = now;
        }
    }
    t.remote = remote;
    t.lastSeenAt = now;
    return s;
}

SteadyTime TaskBook::toSteady(std::int64_t wallMs) const
{
    return m_clock.steadyNow() + Duration(wallMs - m_clock.wallNowMs());
}

std::int64_t TaskBook::toWall(SteadyTime t) const
{
    return m_clock.wallNowMs() + toMs(t - m_clock.steadyNow());
}

SteadyTime TaskBook::failureEnd(const TrackedTask &t, const RemoteAttempt &a) const
{
    // When this console saw the attempt ended is a safe start for the backoff: a little late
    // (by at most one poll), never early. The server's end time is used only when it lies
    // between the moments this console saw the attempt running and saw it ended.
    const SteadyTime seenEnded = t.endSeenAttempt == a.number ? t.endSeenAt : m_clock.steadyNow();
    if (t.runningSeenAttempt != a.number)
        return seenEnded;
    const SteadyTime estimate = toSteady(a.endedAtMs.value_or(t.remote.updatedAtMs));
    if (estimate > seenEnded || estimate < t.runningSeenAt)
        return seenEnded;
    return estimate;
}

SteadyTime TaskBook::attemptStart(const RemoteAttempt &a, std::optional<SteadyTime> notBefore) const
{
    // Between the last moment this console knew the attempt had not begun and now (it is
    // running now): the timeout then fires late (by at most one poll), never early.
    SteadyTime start = std::min(m_clock.steadyNow(), toSteady(a.startedAtMs));
    if (notBefore)
        start = std::max(start, *notBefore);
    return start;
}

TaskCondition TaskBook::derive(const TrackedTask &t, std::optional<SteadyTime> due)
{
    TaskCondition c;
    const RemoteTask &r = t.remote;
    switch (r.state) {
    case RemoteState::Pending:
        c.state = TaskState::Pending;
        break;
    case RemoteState::Running:
        c.state = TaskState::Running;
        break;
    case RemoteState::Succeeded:
        c.state = TaskState::Succeeded;
        break;
    case RemoteState::Cancelled:
        // Cancelled by a policy's stop (here or in another console) is an ending of its own.
        if (r.cancelReason == QLatin1String("exhausted"))
            c.stopReason = StopReason::Exhausted;
        else if (r.cancelReason == QLatin1String("deadline"))
            c.stopReason = StopReason::DeadlineExceeded;
        else if (r.cancelReason == QLatin1String("not-retryable"))
            c.stopReason = StopReason::NotRetryable;
        c.state = c.stopReason ? TaskState::Exhausted : TaskState::Cancelled;
        break;
    case RemoteState::Failed: {
        if (t.foreign && t.foreign->attempt == r.attempt) {
            // Another member's decision, in the same states this console's own would take.
            const RetryDecision &d = t.foreign->decision;
            if (const auto *stop = std::get_if<StopPlan>(&d)) {
                c.state = TaskState::Exhausted;
                c.stopReason = stop->reason;
            } else {
                if (const auto *defer = std::get_if<DeferPlan>(&d))
                    c.deferReason = defer->reason;
                c.state = c.deferReason ? TaskState::Deferred : TaskState::RetryScheduled;
                c.until = t.foreign->due;
            }
            break;
        }
        const bool decided = t.lastDecision && t.decisionFor == r.attempt;
        if (decided && std::holds_alternative<StopPlan>(*t.lastDecision)) {
            c.state = TaskState::Exhausted;
            c.stopReason = std::get<StopPlan>(*t.lastDecision).reason;
        } else if (decided && std::holds_alternative<DeferPlan>(*t.lastDecision)) {
            c.state = TaskState::Deferred;
            c.deferReason = std::get<DeferPlan>(*t.lastDecision).reason;
            c.until = due;
        } else if (t.decidedAttempt == r.attempt && (due || t.actionInFlight)) {
            // Decided here (the retry may be on its way), or resumed after a restart.
            c.state = TaskState::RetryScheduled;
            c.until = due;
        } else {
            c.state = r.lastAttempt && r.lastAttempt->outcome == AttemptOutcome::Timeout
                          ? TaskState::TimedOut
                          : TaskState::Failed;
        }
        break;
    }
    }
    return c;
}

Result<std::optional<TransitionEvent>>
TaskBook::advance(TrackedTask &t, std::optional<SteadyTime> due, SteadyTime now)
{
    const TaskCondition next = derive(t, due);
    const TaskCondition previous = t.condition;
    t.condition = next;
    if (t.lifecycleAttempt < 0) {
        // First sight: the task was already in this state before this console looked; that is
        // where its lifecycle starts here, not a move (watching 100 000 tasks must not write
        // 100 000 events). The attempts table has how it got there.
        t.lifecycle = TaskStateMachine(next.state);
        t.lifecycleAttempt = t.remote.attempt;
        return std::optional<TransitionEvent>();
    }
    const TaskState from = t.lifecycle.state();
    // A move is a new state, a deferral for another reason, or another attempt running,
    // failing or timing out.
    const bool attemptMoved = t.lifecycleAttempt != t.remote.attempt;
    t.lifecycleAttempt = t.remote.attempt;
    const bool moved =
        next.state != from ||
        (next.state == TaskState::Deferred && next.deferReason != previous.deferReason) ||
        (attemptMoved && (next.state == TaskState::Running || next.state == TaskState::Failed ||
                          next.state == TaskState::TimedOut));
    if (!moved)
        return std::optional<TransitionEvent>();
    QString detail;
    if (next.deferReason)
        detail = toText(*next.deferReason);
    else if (next.stopReason)
        detail = toText(*next.stopReason);
    else if (next.state == TaskState::Failed && t.remote.lastAttempt &&
             t.remote.lastAttempt->httpStatus)
        detail = QStringLiteral("HTTP %1").arg(*t.remote.lastAttempt->httpStatus);
    auto event = t.lifecycle.transition(next.state, now, t.remote.attempt,
                                        causeOf(t, from, next.state), detail);
    if (!event) {
        t.lifecycle = TaskStateMachine(next.state);
        return event.error();
    }
    return std::optional<TransitionEvent>(*event);
}

TransitionCause TaskBook::causeOf(const TrackedTask &t, TaskState from, TaskState to)
{
    switch (to) {
    case TaskState::Running: {
        const RemoteAttempt *a = t.remote.lastAttempt ? &*t.remote.lastAttempt : nullptr;
        if (!a || a->reason == AttemptReason::Initial)
            return TransitionCause::AttemptStarted;
        if (a->reason == AttemptReason::Operator)
            return t.requeuedByOperator &&
                           (from == TaskState::Exhausted || from == TaskState::Cancelled)
                       ? TransitionCause::OperatorRequeue
                       : TransitionCause::OperatorRetry;
        return t.deadlineSentAttempt == a->number ? TransitionCause::RetryDue
                                                  : TransitionCause::SomeoneElse;
    }
    case TaskState::Succeeded:
        return TransitionCause::AttemptSucceeded;
    case TaskState::Failed:
        return TransitionCause::AttemptFailed;
    case TaskState::TimedOut:
        return TransitionCause::AttemptTimedOut;
    case TaskState::RetryScheduled:
        return TransitionCause::RetryScheduled;
    case TaskState::Deferred:
        return TransitionCause::RetryDeferred;
    case TaskState::Exhausted:
        return TransitionCause::RetriesStopped;
    case TaskState::Cancelled:
    case TaskState::Pending:
        return TransitionCause::OperatorCancel;
    }
    return TransitionCause::SomeoneElse;
}

QString TaskBook::whyNotRetry(const TrackedTask *t, bool readOnly)
{
    if (readOnly)
        return QStringLiteral("Rebound is in read-only mode.");
    if (!t)
        return QStringLiteral("Unknown task.");
    if (t->actionInFlight)
        return QStringLiteral("A request for this task is already on its way.");
    if (t->remote.state != RemoteState::Failed && t->remote.state != RemoteState::Cancelled)
        return QStringLiteral("Only a failed, exhausted or cancelled task can be retried (this "
                              "one is %1).")
            .arg(toText(t->remote.state));
    return {};
}

QString TaskBook::whyNotCancel(const TrackedTask *t, bool readOnly)
{
    if (readOnly)
        return QStringLiteral("Rebound is in read-only mode.");
    if (!t)
        return QStringLiteral("Unknown task.");
    if (t->remote.state == RemoteState::Succeeded || t->remote.state == RemoteState::Cancelled)
        return QStringLiteral("The task is already %1.").arg(toText(t->remote.state));
    return {};
}

QString TaskBook::whyNotAbort(const TrackedTask *t, bool readOnly)
{
    if (readOnly)
        return QStringLiteral("Rebound is in read-only mode.");
    if (!t)
        return QStringLiteral("Unknown task.");
    if (!t->remote.lastAttempt || t->remote.lastAttempt->ended())
        return QStringLiteral("No attempt of this task is running.");
    if (t->actionInFlight)
        return QStringLiteral("A request for this task is already on its way.");
    return {};
}

} // namespace rebound
