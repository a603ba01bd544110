#include "engine/AttemptTracer.h"

#include <QCryptographicHash>

namespace rebound {

namespace {
constexpr qint64 kNsPerMs = 1'000'000;
constexpr qsizetype kMaxPending = 4096;

bool isHexId(const QByteArray &id, qsizetype length)
{
    if (id.size() != length || id.count('0') == length)
        return false;
    return std::all_of(id.begin(), id.end(),
                       [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}
} // namespace

QByteArray AttemptTracer::traceIdFor(const TrackedTask &t, const RemoteAttempt &a)
{
    const QByteArray given = a.traceId.toLatin1().toLower();
    if (isHexId(given, 32))
        return given;
    return QCryptographicHash::hash(t.key.toUtf8(), QCryptographicHash::Sha256).toHex().left(32);
}

QByteArray AttemptTracer::spanIdFor(const TrackedTask &t, int attempt)
{
    return QCryptographicHash::hash(t.key.toUtf8() + '\n' + QByteArray::number(attempt),
                                    QCryptographicHash::Sha256)
        .toHex()
        .left(16);
}

void AttemptTracer::breakerMoved(const GuardKey &key, const BreakerTransition &move,
                                 std::int64_t wallMs)
{
    if (!enabled())
        return;
    m_breakerEvents[key].append({wallMs * kNsPerMs,
                                 QStringLiteral("breaker %1").arg(toText(move.to)),
                                 {{QStringLiteral("rebound.breaker.from"), toText(move.from)},
                                  {QStringLiteral("rebound.breaker.to"), toText(move.to)},
                                  {QStringLiteral("rebound.breaker.cause"), move.cause}}});
}

void AttemptTracer::attemptEnded(const TrackedTask &t, const RemoteAttempt &a)
{
    if (!enabled())
        return;
    OtlpSpan s;
    s.traceId = traceIdFor(t, a);
    s.spanId = spanIdFor(t, a.number);
    s.name = QStringLiteral("rebound.attempt");
    s.startUnixNano = a.startedAtMs * kNsPerMs;
    s.endUnixNano = a.endedAtMs.value_or(a.startedAtMs) * kNsPerMs;
    s.attributes = {{QStringLiteral("rebound.endpoint"), t.endpoint},
                    {QStringLiteral("rebound.task.id"), t.remote.id},
                    {QStringLiteral("rebound.task.type"), t.remote.type},
                    {QStringLiteral("rebound.attempt.number"), a.number},
                    {QStringLiteral("rebound.attempt.reason"), toText(a.reason)},
                    {QStringLiteral("rebound.attempt.outcome"), toText(a.outcome)}};
    if (a.httpStatus)
        s.attributes.append({QStringLiteral("http.response.status_code"), *a.httpStatus});
    if (a.problem)
        s.attributes.append({QStringLiteral("rebound.problem.type"), a.problem->type});
    s.events = m_breakerEvents.take({t.endpoint, t.remote.type});
    if (a.outcome == AttemptOutcome::Succeeded) {
        s.status = OtlpSpan::Status::Ok;
    } else {
        s.status = OtlpSpan::Status::Error;
        s.statusMessage =
            a.httpStatus ? QStringLiteral("HTTP %1").arg(*a.httpStatus) : toText(a.outcome);
        // Its decision comes in the same turn; an older span of the task that got none (another
        // console acted first) goes now.
        if (auto older = m_pending.take(t.key); !older.traceId.isEmpty())
            m_sink(std::move(older));
        if (m_pending.size() >= kMaxPending) {
            for (OtlpSpan &p : m_pending)
                m_sink(std::move(p));
            m_pending.clear();
        }
        m_pending.insert(t.key, std::move(s));
        return;
    }
    m_sink(std::move(s));
}

void AttemptTracer::decided(const TrackedTask &t, int attempt, const RetryDecision &d,
                            std::int64_t wallMs, SteadyTime now)
{
    if (!enabled())
        return;
    const auto it = m_pending.find(t.key);
    if (it == m_pending.end() || it->spanId != spanIdFor(t, attempt))
        return;
    OtlpSpan s = std::move(*it);
    m_pending.erase(it);
    OtlpSpan::Event e{
        wallMs * kNsPerMs, {}, {{QStringLiteral("rebound.decision"), describe(d, now)}}};
    if (const auto *r = std::get_if<RetryPlan>(&d)) {
        e.name = QStringLiteral("retry scheduled");
        e.attributes.append({QStringLiteral("rebound.delay_ms"), qint64(r->delay.count())});
        e.attributes.append({QStringLiteral("rebound.jitter"), r->retryAfterUsed
                                                                   ? QStringLiteral("retry_after")
                                                                   : toText(r->jitter)});
    } else if (const auto *f = std::get_if<DeferPlan>(&d)) {
        e.name = QStringLiteral("retry deferred");
        e.attributes.append({QStringLiteral("rebound.defer_reason"), toText(f->reason)});
    } else {
        e.name = QStringLiteral("retries stopped");
        e.attributes.append(
            {QStringLiteral("rebound.stop_reason"), toText(std::get<StopPlan>(d).reason)});
    }
    s.events.append(std::move(e));
    m_sink(std::move(s));
}

} // namespace rebound
