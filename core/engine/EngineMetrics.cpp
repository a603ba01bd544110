#include "engine/EngineMetrics.h"
#include "engine/Orchestrator.h"
#include "history/HistoryStore.h"
#include "telemetry/PrometheusText.h"

#include <algorithm>

namespace rebound {

namespace {
const QString kOther = QStringLiteral("other");

/// Label sets in a stable order (a scrape reads the same from one moment to the next).
QList<QStringList> sortedKeys(const QHash<QStringList, quint64> &h)
{
    QList<QStringList> keys = h.keys();
    std::sort(keys.begin(), keys.end());
    return keys;
}

PrometheusText::Labels labels(std::initializer_list<const char *> names, const QStringList &values)
{
    PrometheusText::Labels out;
    qsizetype i = 0;
    for (const char *n : names)
        out.append({QString::fromLatin1(n), values.value(i++)});
    return out;
}
} // namespace

QString EngineMetrics::capped(QSet<QString> &given, int cap, const QString &name)
{
    if (given.contains(name))
        return name;
    if (given.size() < cap) {
        given.insert(name);
        return name;
    }
    ++m_collapsed;
    return kOther;
}

QString EngineMetrics::typeLabel(const QString &type)
{
    return capped(m_types, m_maxTypes, type);
}

QString EngineMetrics::endpointLabel(const QString &endpoint)
{
    return capped(m_endpoints, m_maxEndpoints, endpoint);
}

void EngineMetrics::decision(const QString &endpoint, const QString &type, const RetryDecision &d)
{
    QString outcome, cause;
    if (const auto *r = std::get_if<RetryPlan>(&d)) {
        outcome = QStringLiteral("retry");
        cause = r->retryAfter && r->retryAfterUsed ? QStringLiteral("retry_after")
                                                   : QStringLiteral("backoff");
    } else if (const auto *f = std::get_if<DeferPlan>(&d)) {
        outcome = QStringLiteral("defer");
        cause = toText(f->reason);
    } else {
        outcome = QStringLiteral("stop");
        cause = toText(std::get<StopPlan>(d).reason);
    }
    ++m_decisions[{endpointLabel(endpoint), typeLabel(type), outcome, cause}];
}

void EngineMetrics::attemptEnded(const QString &endpoint, const QString &type,
                                 AttemptOutcome outcome)
{
    ++m_attempts[{endpointLabel(endpoint), typeLabel(type), toText(outcome)}];
}

void EngineMetrics::transition(TaskState from, TaskState to)
{
    ++m_transitions[{toText(from), toText(to)}];
}

void EngineMetrics::breakerTransition(const QString &endpoint, const QString &type,
                                      BreakerHealth to)
{
    ++m_breakerMoves[{endpointLabel(endpoint), typeLabel(type), toText(to)}];
}

void EngineMetrics::historyWrite(Duration took, int writes)
{
    const double seconds = double(toMs(took)) / 1000.0;
    for (std::size_t i = 0; i < kWriteBounds.size(); ++i)
        if (seconds <= kWriteBounds[i])
            ++m_writeBuckets[i];
    ++m_writeCount;
    m_writeSeconds += seconds;
    m_writeRows += quint64(writes);
}

void EngineMetrics::pollAnswered(const QString &endpoint, Duration elapsed)
{
    PollHistogram &h = m_polls[endpointLabel(endpoint)];
    const double seconds = double(toMs(elapsed)) / 1000.0;
    for (std::size_t i = 0; i < kPollBounds.size(); ++i)
        if (seconds <= kPollBounds[i])
            ++h.buckets[i];
    ++h.count;
    h.seconds += seconds;
}

QByteArray EngineMetrics::render(const Orchestrator &o) const
{
    PrometheusText p;
    const auto counter = [&p](const char *name, const char *help,
                              std::initializer_list<const char *> names,
                              const QHash<QStringList, quint64> &values) {
        p.family(name, "counter", help);
        for (const QStringList &k : sortedKeys(values))
            p.sample(name, labels(names, k), double(values.value(k)));
    };
    counter("rebound_decisions_total",
            "Decisions after failed attempts: retry (cause backoff or retry_after), defer (cause: "
            "what it waits for) or stop (cause: why retries stopped).",
            {"endpoint", "type", "outcome", "cause"}, m_decisions);
    counter("rebound_attempts_ended_total", "Attempts seen ending, by outcome.",
            {"endpoint", "type", "outcome"}, m_attempts);
    counter("rebound_lifecycle_transitions_total", "Moves of the task lifecycle.", {"from", "to"},
            m_transitions);
    counter("rebound_breaker_transitions_total", "Breaker tier changes, by the tier entered.",
            {"endpoint", "type", "to"}, m_breakerMoves);
    p.family("rebound_metrics_label_overflow_total", "counter",
             "Samples counted under type or endpoint \"other\": past the label cap.");
    p.sample("rebound_metrics_label_overflow_total", {}, double(m_collapsed));

    // Gauges read now. Breakers of types past the cap are summed into "other" where summing
    // means something (tokens), and left out where it does not (a tier, a rate).
    QList<QPair<QString, QString>> breakers = o.breakerKeys();
    std::sort(breakers.begin(), breakers.end());
    const auto own = [this](const QPair<QString, QString> &k) {
        return m_endpoints.contains(k.first) && m_types.contains(k.second);
    };
    p.family("rebound_breaker_tier", "gauge",
             "1 for the tier each breaker is in (healthy, degraded, open, half_open, "
             "forced_open, disabled), 0 for the others.");
    for (const auto &k : std::as_const(breakers)) {
        if (!own(k))
            continue;
        const BreakerHealth now = o.breakerHealth(k.first, k.second);
        for (const BreakerHealth h :
             {BreakerHealth::Healthy, BreakerHealth::Degraded, BreakerHealth::Open,
              BreakerHealth::HalfOpen, BreakerHealth::ForcedOpen, BreakerHealth::Disabled})
            p.sample("rebound_breaker_tier",
                     labels({"endpoint", "type", "tier"}, {k.first, k.second, toText(h)}),
                     h == now ? 1 : 0);
    }
    const auto rate = [&](const char *name, const char *help, double BreakerMetrics::*field) {
        p.family(name, "gauge", help);
        for (const auto &k : std::as_const(breakers)) {
            const double v = o.breakerMetrics(k.first, k.second).*field;
            if (own(k) && v >= 0)
                p.sample(name, labels({"endpoint", "type"}, {k.first, k.second}), v);
        }
    };
    rate("rebound_breaker_failure_rate_ratio",
         "Failed share of the breaker window's calls (0..1), once it has enough calls.",
         &BreakerMetrics::failureRate);
    rate("rebound_breaker_slow_call_rate_ratio",
         "Slow share of the breaker window's calls (0..1), once it has enough calls.",
         &BreakerMetrics::slowCallRate);
    p.family("rebound_retry_budget_tokens", "gauge", "Tokens left in each retry budget.");
    QHash<QStringList, double> tokens;
    for (const auto &k : std::as_const(breakers)) {
        if (const auto t = o.budgetTokens(k.first, k.second))
            tokens[own(k) ? QStringList{k.first, k.second} : QStringList{kOther, kOther}] += *t;
    }
    QList<QStringList> tokenKeys = tokens.keys();
    std::sort(tokenKeys.begin(), tokenKeys.end());
    for (const QStringList &k : std::as_const(tokenKeys))
        p.sample("rebound_retry_budget_tokens", labels({"endpoint", "type"}, k), tokens.value(k));
    p.family("rebound_scheduled_retries", "gauge",
             "Retries and re-decisions waiting for their time.");
    p.sample("rebound_scheduled_retries", {}, double(o.scheduledCount()));
    p.family("rebound_watched_tasks", "gauge", "Tasks the engine knows.");
    p.sample("rebound_watched_tasks", {}, double(o.taskCount()));
    p.family("rebound_history_queue_writes", "gauge",
             "History writes queued for the next transaction.");
    p.sample("rebound_history_queue_writes", {}, double(o.history().pendingWrites()));
    p.family("rebound_history_written_total", "counter", "History writes committed.");
    p.sample("rebound_history_written_total", {}, double(m_writeRows));
    p.family("rebound_history_write_seconds", "histogram",
             "Time of one history transaction (one per event-loop turn with writes).");
    QList<double> bounds(kWriteBounds.begin(), kWriteBounds.end());
    QList<quint64> cumulative(m_writeBuckets.begin(), m_writeBuckets.end());
    p.histogram("rebound_history_write_seconds", {}, bounds, cumulative, m_writeCount,
                m_writeSeconds);
    p.family("rebound_poll_seconds", "histogram",
             "Time from a task-list request to its answer (or failure), per endpoint.");
    QStringList polled = m_polls.keys();
    polled.sort();
    const QList<double> pollBounds(kPollBounds.begin(), kPollBounds.end());
    for (const QString &endpoint : std::as_const(polled)) {
        const PollHistogram &h = m_polls[endpoint];
        p.histogram("rebound_poll_seconds", {{QStringLiteral("endpoint"), endpoint}}, pollBounds,
                    QList<quint64>(h.buckets.begin(), h.buckets.end()), h.count, h.seconds);
    }
    // Transport per endpoint (endpoints past the label cap are left out: a state, no sum).
    QStringList endpoints = o.endpoints();
    endpoints.sort();
    p.family("rebound_push_live", "gauge",
             "1 while an endpoint's changes arrive over /v1/watch (push), 0 while it is polled.");
    for (const QString &e : std::as_const(endpoints))
        if (const EndpointPoller *poller = o.poller(e); poller && m_endpoints.contains(e))
            p.sample("rebound_push_live", {{QStringLiteral("endpoint"), e}},
                     poller->status().push ? 1 : 0);
    p.family("rebound_push_fallbacks_total", "counter",
             "Times push fell back to polling or could not start, per endpoint.");
    for (const QString &e : std::as_const(endpoints))
        if (const EndpointPoller *poller = o.poller(e); poller && m_endpoints.contains(e))
            p.sample("rebound_push_fallbacks_total", {{QStringLiteral("endpoint"), e}},
                     poller->pushFailures());
    p.family("rebound_outbox_entries", "gauge",
             "Actions written down and not yet answered (re-sent after a crash).");
    p.sample("rebound_outbox_entries", {}, double(o.history().outbox().size()));
    if (m_spanCounts) {
        const SpanCounts c = m_spanCounts();
        p.family("rebound_spans_exported_total", "counter",
                 "Attempt spans the OTLP collector accepted.");
        p.sample("rebound_spans_exported_total", {}, double(c.exported));
        p.family("rebound_spans_dropped_total", "counter",
                 "Attempt spans dropped: queue full, or a batch the collector did not take.");
        p.sample("rebound_spans_dropped_total", {}, double(c.dropped));
        p.family("rebound_spans_queued", "gauge", "Attempt spans waiting for export.");
        p.sample("rebound_spans_queued", {}, double(c.queued));
    }
    return p.text();
}

} // namespace rebound
