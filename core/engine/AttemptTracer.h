#pragma once

#include "decision/RetryDecision.h"
#include "engine/TaskBook.h"
#include "guards/CircuitBreaker.h"
#include "guards/GuardRegistry.h"
#include "telemetry/OtlpSpan.h"

#include <functional>

namespace rebound {

/// One span per attempt the engine saw end, in the task's own trace (the trace id of the
/// traceparent Rebound sent, so the span joins the service's trace), with the decision that
/// followed and the breaker moves the attempt caused as span events. A failed attempt's span
/// waits for its decision (taken in the same turn) before it goes to the sink.
class AttemptTracer final
{
    Q_DISABLE_COPY_MOVE(AttemptTracer)

public:
    using Sink = std::function<void(OtlpSpan)>;
    AttemptTracer() = default;

    void setSink(Sink sink) { m_sink = std::move(sink); }
    bool enabled() const { return bool(m_sink); }

    /// After the guards recorded the attempt (breaker moves it caused are noted already).
    void attemptEnded(const TrackedTask &t, const RemoteAttempt &a);
    void breakerMoved(const GuardKey &key, const BreakerTransition &move, std::int64_t wallMs);
    void decided(const TrackedTask &t, int attempt, const RetryDecision &d, std::int64_t wallMs,
                 SteadyTime now);

    /// 32 hex digits: the attempt's own trace id when it has a valid one, else one derived from
    /// the task (so its attempts still share a trace).
    static QByteArray traceIdFor(const TrackedTask &t, const RemoteAttempt &a);
    /// 16 hex digits, derived from the task and attempt: the same attempt gets the same id.
    static QByteArray spanIdFor(const TrackedTask &t, int attempt);

private:
    Sink m_sink;
    QHash<QString, OtlpSpan> m_pending; ///< failed attempts' spans by task key
    QHash<GuardKey, QList<OtlpSpan::Event>> m_breakerEvents;
};

} // namespace rebound
