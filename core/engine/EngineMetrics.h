#pragma once

#include "decision/RetryDecision.h"
#include "engine/TaskState.h"
#include "guards/CircuitBreaker.h"
#include "remote/RemoteTask.h"
#include "time/Time.h"

#include <QByteArray>
#include <QHash>
#include <QSet>
#include <QString>

#include <array>
#include <functional>

namespace rebound {

class Orchestrator;

/// What the engine did, counted for Prometheus where it is written down (EngineJournal and the
/// orchestrator's flush), and rendered with gauges read from the engine at scrape time.
/// Cardinality is bounded: task types past `maxTypes` (and endpoints past `maxEndpoints`)
/// collapse into "other", since both names come from services.
class EngineMetrics final
{
    Q_DISABLE_COPY_MOVE(EngineMetrics)

public:
    explicit EngineMetrics(int maxTypes = 50, int maxEndpoints = 16)
        : m_maxTypes(maxTypes), m_maxEndpoints(maxEndpoints)
    {}
    void setMaxTypes(int maxTypes) { m_maxTypes = maxTypes; }
    /// The span exporter's counters (exported, dropped, queued), when spans are exported.
    struct SpanCounts
    {
        quint64 exported = 0, dropped = 0, queued = 0;
    };
    void setSpanCounts(std::function<SpanCounts()> counts) { m_spanCounts = std::move(counts); }

    void decision(const QString &endpoint, const QString &type, const RetryDecision &d);
    void attemptEnded(const QString &endpoint, const QString &type, AttemptOutcome outcome);
    void transition(TaskState from, TaskState to);
    void breakerTransition(const QString &endpoint, const QString &type, BreakerHealth to);
    /// One history transaction: how long it took and how many writes were queued for it.
    void historyWrite(Duration took, int writes);
    /// A poll of `endpoint`'s task list answered after `elapsed`.
    void pollAnswered(const QString &endpoint, Duration elapsed);

    /// The exposition text: the counters above and the engine's gauges now.
    QByteArray render(const Orchestrator &o) const;

    /// Histogram bounds of the history write latency, in seconds.
    static constexpr std::array<double, 8> kWriteBounds{0.001, 0.0025, 0.005, 0.01,
                                                        0.025, 0.05,   0.1,   0.5};
    /// Histogram bounds of the poll latency, in seconds.
    static constexpr std::array<double, 9> kPollBounds{0.005, 0.01, 0.025, 0.05, 0.1,
                                                       0.25,  0.5,  1,     2.5};

private:
    QString typeLabel(const QString &type);
    QString endpointLabel(const QString &endpoint);
    /// `name` while fewer than `cap` names have their own label, else "other" (counted).
    QString capped(QSet<QString> &given, int cap, const QString &name);

    int m_maxTypes;
    int m_maxEndpoints;
    QSet<QString> m_types, m_endpoints; ///< names given their own label so far
    quint64 m_collapsed = 0;            ///< samples counted under "other"
    // Keyed by the label values, in the order render() names them.
    QHash<QStringList, quint64> m_decisions;    ///< endpoint, type, outcome, cause
    QHash<QStringList, quint64> m_attempts;     ///< endpoint, type, outcome
    QHash<QStringList, quint64> m_transitions;  ///< from, to
    QHash<QStringList, quint64> m_breakerMoves; ///< endpoint, type, to
    std::array<quint64, kWriteBounds.size()> m_writeBuckets{};
    quint64 m_writeCount = 0;
    double m_writeSeconds = 0;
    quint64 m_writeRows = 0;
    std::function<SpanCounts()> m_spanCounts;
    struct PollHistogram
    {
        std::array<quint64, kPollBounds.size()> buckets{};
        quint64 count = 0;
        double seconds = 0;
    };
    QHash<QString, PollHistogram> m_polls; ///< by endpoint label
};

} // namespace rebound
