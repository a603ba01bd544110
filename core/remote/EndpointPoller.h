#pragma once

#include "AdaptiveTimeout.h"
#include "BackoffSequence.h"
#include "CircuitBreaker.h"
#include "RemoteTask.h"
#include "TaskTransport.h"
#include "TimerSource.h"

#include <QObject>
#include <QSet>

namespace rebound {

/// What the UI shows per endpoint: connected, backing off (next try at), breaker open (until).
struct EndpointStatus
{
    enum class State
    {
        Connecting,
        Connected,
        BackingOff,  ///< unreachable or refusing (transport error, 5xx, 429, 401/403)
        Misbehaving, ///< answering, but not as the Task API says (malformed, a cursor that repeats)
        BreakerOpen
    };
    State state = State::Connecting;
    std::optional<SteadyTime> nextTryAt;
    QString lastError;
    Duration pollInterval{500};
    std::int64_t lastSyncWallMs = 0;
    /// When the last complete answer arrived (steady clock). While tasksChanged runs it is
    /// still the previous one: whatever that batch shows as begun began after this moment.
    std::optional<SteadyTime> lastCompleteAt;
};

QString toText(EndpointStatus::State s);

/// Keeps Rebound's view of one endpoint's tasks current: a paged full snapshot first, then
/// delta polls with the cursor and ETag (304 when nothing changed), a full resync on 410.
/// The interval adapts: 500 ms, doubling while nothing changes up to 5 s, back to fast on
/// any change or poke(). Failures feed the endpoint's own breaker and backoff.
class EndpointPoller final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EndpointPoller)

public:
    static constexpr int kPageSize = 500;

    EndpointPoller(TaskTransport &transport, const Clock &clock, TimerSource &timers,
                   RandomSource &rng, QObject *parent = nullptr);
    ~EndpointPoller() override;

    void start();
    void stop();
    /// Poll soon (something happened: an operator action, a push event).
    void poke();
    /// Poll now, forgetting earlier failures: the operator changed what they depended on (a
    /// token, a trusted CA), so the old backoff and breaker state say nothing about the new one.
    void reconnect();
    const EndpointStatus &status() const { return m_status; }
    /// Requests and bytes received so far (for the delta-vs-relist benchmark).
    std::int64_t requests() const { return m_requests; }
    std::int64_t bytesReceived() const { return m_bytes; }
    void setIntervals(Duration fast, Duration slow);

Q_SIGNALS:
    /// A batch of changed tasks; `snapshot` when it completes a full resync.
    void tasksChanged(const QList<rebound::RemoteTask> &tasks, bool snapshot);
    void statusChanged(const rebound::EndpointStatus &status);
    /// A list request was answered (or failed) after `elapsed`.
    void pageAnswered(rebound::Duration elapsed);

private:
    void schedule(Duration after);
    void pollOnce();
    void onPage(const ApiResponse &r);
    /// The endpoint failed (`misbehaving`: it answered against the contract): breaker, backoff.
    void onFailure(const QString &why, bool misbehaving = false);
    void setState(EndpointStatus::State s, std::optional<SteadyTime> next,
                  const QString &error = {});

    TaskTransport &m_client;
    const Clock &m_clock;
    TimerSource &m_timers;
    RandomSource &m_rng;
    CircuitBreaker m_breaker;
    BackoffSequence m_backoff;
    AdaptiveTimeout m_timeout;
    EndpointStatus m_status;
    Duration m_fast{500};
    Duration m_slow{5000};
    Duration m_interval{500};
    TimerId m_timer = 0;
    bool m_running = false;
    bool m_inFlight = false;
    bool m_pokeWhileInFlight = false;
    // Sync state.
    QString m_cursor;
    QByteArray m_etag;
    bool m_snapshotting = true;
    QList<RemoteTask> m_snapshot;
    QString m_requestedCursor; ///< the `since` of the page in flight
    QSet<QString>
        m_cursorsThisRun; ///< cursors of consecutive `more` pages: one coming back is a loop
    std::int64_t m_requests = 0;
    std::int64_t m_bytes = 0;
};

} // namespace rebound
