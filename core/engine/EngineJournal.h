#pragma once

#include "decision/ErrorClassifier.h"
#include "decision/RetryDecision.h"
#include "engine/AttemptTracer.h"
#include "engine/EngineMetrics.h"
#include "engine/TaskBook.h"
#include "guards/CircuitBreaker.h"
#include "guards/GuardRegistry.h"
#include "history/HistoryStore.h"
#include "policy/PolicyStore.h"

namespace rebound {

/// What the engine writes down: each fact once, as a JSON log line and as history rows with
/// the same content (a lifecycle move, a decision, a breaker transition), counted in the
/// metrics and, when tracing, put on the attempt's span.
class EngineJournal final
{
    Q_DISABLE_COPY_MOVE(EngineJournal)

public:
    EngineJournal(HistoryStore &history, const TaskBook &book, EngineMetrics &metrics,
                  AttemptTracer &tracer)
        : m_history(history), m_book(book), m_metrics(metrics), m_tracer(tracer)
    {}

    void transition(const TrackedTask &t, const TransitionEvent &e);
    /// The service or the engine moved the task in a way the transition table refuses.
    void illegalTransition(const TrackedTask &t, const Error &why);
    void breaker(const GuardKey &key, const BreakerTransition &t);
    /// A policy version came into force (a failed write is logged, not dropped).
    void policyVersion(const PolicyVersion &v);
    /// An operator brought a dead task back with a fresh allowance.
    void requeued(const TrackedTask &t);
    /// The decision taken after attempt `a` failed (the history row and the log line).
    void decision(const TrackedTask &t, const RemoteAttempt &a, const Classification &c,
                  const RetryDecision &d, SteadyTime now);

private:
    HistoryStore &m_history;
    const TaskBook &m_book;
    EngineMetrics &m_metrics;
    AttemptTracer &m_tracer;
};

} // namespace rebound
