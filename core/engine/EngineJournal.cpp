#include "engine/EngineJournal.h"
#include "support/JsonLog.h"

#include <cmath>

namespace rebound {

void EngineJournal::transition(const TrackedTask &t, const TransitionEvent &e)
{
    // Debug-level and one per move: the line is only built when someone reads it.
    if (lcEngine().isDebugEnabled())
        JsonLog::event(lcEngine, QtDebugMsg, QStringLiteral("task_transition"),
                       {{QStringLiteral("endpoint"), t.endpoint},
                        {QStringLiteral("task_id"), t.remote.id},
                        {QStringLiteral("attempt"), e.attempt},
                        {QStringLiteral("from"), toText(e.from)},
                        {QStringLiteral("to"), toText(e.to)},
                        {QStringLiteral("cause"), toText(e.cause)},
                        {QStringLiteral("detail"), e.detail}});
    m_metrics.transition(e.from, e.to);
    m_history.queueLifecycle(LifecycleEvent{t.endpoint, t.remote.id, e.attempt, toText(e.from),
                                            toText(e.to), toText(e.cause), e.detail,
                                            m_book.toWall(e.at)});
}

void EngineJournal::illegalTransition(const TrackedTask &t, const Error &why)
{
    JsonLog::event(lcEngine, QtWarningMsg, QStringLiteral("lifecycle_illegal"),
                   {{QStringLiteral("endpoint"), t.endpoint},
                    {QStringLiteral("task_id"), t.remote.id},
                    {QStringLiteral("cause"), why.message}});
}

void EngineJournal::policyVersion(const PolicyVersion &v)
{
    if (auto r = m_history.recordPolicyVersion(v.number, v.at.toMSecsSinceEpoch(), v.source,
                                               v.sha256, v.content);
        !r)
        JsonLog::event(lcEngine, QtCriticalMsg, QStringLiteral("history_write_failed"),
                       {{QStringLiteral("policy_version"), v.number},
                        {QStringLiteral("cause"), r.error().message}});
}

void EngineJournal::requeued(const TrackedTask &t)
{
    JsonLog::event(lcEngine, QtInfoMsg, QStringLiteral("task_requeued"),
                   {{QStringLiteral("endpoint"), t.endpoint},
                    {QStringLiteral("task_id"), t.remote.id},
                    {QStringLiteral("attempt"), t.remote.attempt},
                    {QStringLiteral("cause"), QStringLiteral("operator")}});
}

void EngineJournal::breaker(const GuardKey &k, const BreakerTransition &t)
{
    m_metrics.breakerTransition(k.endpoint, k.taskType, t.to);
    m_tracer.breakerMoved(k, t, m_book.toWall(t.at));
    m_history.queueBreakerTransition(k.endpoint, k.taskType, t, m_book.toWall(t.at));
    JsonLog::event(lcBreaker, QtInfoMsg, QStringLiteral("breaker_transition"),
                   {{QStringLiteral("endpoint"), k.endpoint},
                    {QStringLiteral("task_type"), k.taskType},
                    {QStringLiteral("from"), toText(t.from)},
                    {QStringLiteral("to"), toText(t.to)},
                    {QStringLiteral("cause"), t.cause}});
}

void EngineJournal::decision(const TrackedTask &t, const RemoteAttempt &a, const Classification &c,
                             const RetryDecision &d, SteadyTime now)
{
    m_metrics.decision(t.endpoint, t.remote.type, d);
    m_tracer.decided(t, a.number, d, m_book.toWall(now), now);
    AttemptDecision rec;
    rec.endpoint = t.endpoint;
    rec.taskId = t.remote.id;
    rec.attempt = a.number;
    rec.errorClass = c.errorClass;
    rec.policy = t.policyName;
    rec.policyVersion = t.policyVersion;
    QJsonObject log{
        {QStringLiteral("endpoint"), t.endpoint},      {QStringLiteral("task_id"), t.remote.id},
        {QStringLiteral("attempt"), a.number},         {QStringLiteral("cause"), c.reason},
        {QStringLiteral("trace_id"), a.traceId},       {QStringLiteral("policy"), t.policyName},
        {QStringLiteral("decision"), describe(d, now)}};
    QString event;
    if (const auto *r = std::get_if<RetryPlan>(&d)) {
        rec.delayMs = r->delay.count();
        rec.nominalDelayMs = std::llround(r->nominalMs);
        rec.jitter = r->jitter;
        if (r->retryAfter && r->retryAfterUsed)
            rec.retryAfterMs = r->retryAfter->count();
        log.insert(QStringLiteral("delay_ms"), qint64(r->delay.count()));
        event = QStringLiteral("retry_scheduled");
    } else if (const auto *f = std::get_if<DeferPlan>(&d)) {
        rec.deferReason = toText(f->reason);
        event = QStringLiteral("retry_deferred");
    } else {
        rec.stopReason = std::get<StopPlan>(d).reason;
        event = QStringLiteral("retries_stopped");
    }
    JsonLog::event(lcEngine, QtInfoMsg, event, log);
    m_history.queueDecision(rec);
}

} // namespace rebound
