#include "engine/ActionDesk.h"

#include "remote/TaskJson.h"
#include "support/JsonLog.h"

namespace rebound {

namespace {

QString cancelReasonOf(StopReason r)
{
    switch (r) {
    case StopReason::Exhausted:
        return QStringLiteral("exhausted");
    case StopReason::DeadlineExceeded:
        return QStringLiteral("deadline");
    case StopReason::NotRetryable:
        return QStringLiteral("not-retryable");
    case StopReason::Cancelled:
        return QStringLiteral("operator");
    }
    return QStringLiteral("operator");
}

bool startsAttempt(const OutboxEntry &e)
{
    return e.action.startsWith(QLatin1String("attempt"));
}

} // namespace

ActionDesk::ActionDesk(ActionOutbox &outbox, GuardRegistry &guards, TaskBook &book,
                       TaskReader &reader, AttemptWatch &watch, Hooks hooks)
    : m_outbox(outbox), m_guards(guards), m_book(book), m_reader(reader), m_watch(watch),
      m_hooks(std::move(hooks))
{}

void ActionDesk::startAttempt(TrackedTask &t, AttemptReason reason, Done done)
{
    // The attempt carries its timeout: a service that honours deadlineMs ends it by itself.
    const Duration timeout = m_guards.attemptTimeout({t.endpoint, t.remote.type});
    ActionDetails details;
    details.deadlineMs = timeout.count();
    OutboxEntry e = ActionOutbox::make(
        t.endpoint, t.remote,
        reason == AttemptReason::Operator ? ActionKind::OperatorAttempt : ActionKind::Attempt,
        t.remote.attempt, details);
    // An operator's retry goes straight to the service; the engine's own carries the fence.
    if (reason == AttemptReason::Auto && !m_hooks.fence(t, e)) {
        guards(t).breaker->releasePermit();
        return;
    }
    t.deadlineSentAttempt = t.remote.attempt + 1;
    t.deadlineSent = timeout;
    guards(t).budget->attemptStarted(true);
    submit(t, e, std::move(done));
}

void ActionDesk::stopped(TrackedTask &t, StopReason reason)
{
    ActionDetails details;
    details.cancelReason = cancelReasonOf(reason);
    OutboxEntry e =
        ActionOutbox::make(t.endpoint, t.remote, ActionKind::Cancel, t.remote.attempt, details);
    if (m_hooks.fence(t, e))
        submit(t, e, {});
}

void ActionDesk::overran(TrackedTask &t)
{
    if (t.actionInFlight) { // its answer may end the attempt: looked at again after it
        m_watch.lookAgain(t.key, Duration(1000));
        return;
    }
    const int n = t.watchedAttempt;
    JsonLog::event(lcEngine, QtInfoMsg, QStringLiteral("attempt_timed_out"),
                   {{QStringLiteral("endpoint"), t.endpoint},
                    {QStringLiteral("task_id"), t.remote.id},
                    {QStringLiteral("attempt"), n},
                    {QStringLiteral("timeout_ms"), qint64(t.attemptTimeout.count())},
                    {QStringLiteral("trace_id"), t.remote.lastAttempt->traceId}});
    OutboxEntry e = ActionOutbox::make(t.endpoint, t.remote, ActionKind::AbortTimeout, n);
    if (m_hooks.fence(t, e))
        submit(t, e, {});
}

void ActionDesk::operatorCancel(TrackedTask &t, Done done)
{
    submit(t,
           ActionOutbox::make(t.endpoint, t.remote, ActionKind::OperatorCancel, t.remote.attempt),
           std::move(done));
}

void ActionDesk::operatorAbort(TrackedTask &t, Done done)
{
    JsonLog::event(lcEngine, QtInfoMsg, QStringLiteral("attempt_abort_requested"),
                   {{QStringLiteral("endpoint"), t.endpoint},
                    {QStringLiteral("task_id"), t.remote.id},
                    {QStringLiteral("attempt"), t.remote.lastAttempt->number},
                    {QStringLiteral("cause"), QStringLiteral("operator")}});
    submit(t,
           ActionOutbox::make(t.endpoint, t.remote, ActionKind::AbortOperator,
                              t.remote.lastAttempt->number),
           std::move(done));
}

void ActionDesk::resume(const QString &endpoint)
{
    m_outbox.resume(endpoint,
                    [this](const OutboxEntry &o, const ApiResponse &r) { onAnswer(o, r, {}); });
}

void ActionDesk::submit(TrackedTask &t, const OutboxEntry &e, Done done)
{
    auto written = m_outbox.submit(e, [this, done](const OutboxEntry &entry, const ApiResponse &r) {
        onAnswer(entry, r, done);
    });
    if (!written) {
        // Without the outbox a crash could double the action: nothing was sent.
        if (startsAttempt(e)) {
            guards(t).budget->attemptFinished(true, false);
            guards(t).breaker->releasePermit();
        }
        if (done)
            done(written.error());
        return;
    }
    t.actionInFlight = true;
}

void ActionDesk::onAnswer(const OutboxEntry &e, const ApiResponse &r, const Done &done)
{
    TrackedTask *t = m_book.find(e.endpoint, e.taskId);
    if (t)
        t->actionInFlight = false;
    if (r.isSuccess()) {
        auto task = TaskJson::decodeTask(r.body);
        if (done)
            done({});
        // Looked at again even when push or a poll showed this version, or a newer one, first:
        // while the action was in flight the engine held its decisions back. The attempt it
        // started may already have failed — then the answer is older than what is held, and
        // what is held is what needs deciding.
        if (task && t)
            m_hooks.answered(e.endpoint, task->version < t->remote.version ? t->remote : *task);
        m_hooks.poke(e.endpoint);
        return;
    }
    if (r.status == 409 && r.problemType() == QLatin1String("urn:rebound:problem:stale-fence")) {
        if (const auto f = Fence::parse(e.fence))
            m_hooks.staleFence(*f);
    }
    const QString message = ActionOutbox::refusal(e, r);
    if (t) {
        t->lastError = message;
        m_hooks.changed(*t); // the row says it now, whatever the re-read brings
        if (startsAttempt(e)) {
            TypeGuards &g = guards(*t);
            g.budget->attemptFinished(true, false);
            g.breaker->releasePermit(); // no attempt started: no probe will report
            m_hooks.budgetFreed({t->endpoint, t->remote.type});
        }
        if (e.action == QLatin1String("abort")) // looked at again once the task is re-read
            m_watch.lookAgain(t->key, Duration(1000));
    }
    if (done)
        done(Error{QStringLiteral("refused-%1").arg(r.status), message});
    m_hooks.notice(e.endpoint, e.taskId, message);
    // Never retry blindly after a refusal: read the task again and decide from what is there.
    m_reader.readTask(e.endpoint, e.taskId);
}

} // namespace rebound
