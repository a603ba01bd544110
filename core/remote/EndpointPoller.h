#pragma once

#include "decision/BackoffSequence.h"
#include "guards/AdaptiveTimeout.h"
#include "guards/CircuitBreaker.h"
#include "remote/EndpointStatus.h"
#include "remote/PushSubscription.h"
#include "remote/RemoteTask.h"
#include "remote/TaskTransport.h"
#include "time/TimerSource.h"

#include <QObject>
#include <QSet>

#include <memory>

namespace rebound {

/// Keeps Rebound's view of one endpoint's tasks current: a paged full snapshot first, then
/// delta polls with the cursor and ETag (304 when nothing changed), a full resync on 410.
/// The interval adapts: 500 ms, doubling while nothing changes up to 5 s, back to fast on
/// any change or poke(). Failures feed the endpoint's own breaker and backoff.
///
/// Push (PushSubscription): after a complete answer, when the transport offers `/v1/watch`, a
/// subscription from the cursor it holds takes over and polling stops while it is live; when
/// it fails, polling resumes at once from the cursor of the last message applied. Both move
/// one cursor in commit order, and the engine applies a task only when its version is newer,
/// so a switch neither loses nor doubles a change.
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
    /// Payload bytes received over push so far.
    std::int64_t pushBytesReceived() const { return m_push.bytesReceived(); }
    /// Times push fell back to polling (or failed to start) since start().
    int pushFailures() const { return m_push.failures() - m_pushFailuresAtStart; }
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
    /// After a complete answer: hands over to push when it is ready (true: do not poll).
    bool afterComplete();
    bool canHandOver() const { return !m_inFlight && !m_snapshotting && !m_morePending; }
    // What the push subscription tells.
    void onPushLive();
    void onPushEvent(const WatchProtocol::Event &event);
    void onPushResync();
    void onPushFailed(const QString &why, bool wasCarrying, SteadyTime retryAt);

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
        m_cursorsThisRun;       ///< cursors of consecutive `more` pages: one coming back is a loop
    bool m_morePending = false; ///< the last page said `more`
    std::int64_t m_requests = 0;
    std::int64_t m_bytes = 0;
    PushSubscription m_push;
    int m_pushFailuresAtStart = 0;
};

} // namespace rebound
