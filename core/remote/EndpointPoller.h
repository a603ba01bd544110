#pragma once

#include "decision/BackoffSequence.h"
#include "guards/AdaptiveTimeout.h"
#include "guards/CircuitBreaker.h"
#include "remote/EndpointStatus.h"
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
/// Push: after a complete answer, when the transport offers `/v1/watch`, it subscribes from
/// the cursor it holds and stops polling while the subscription is live. Any failure (refused
/// upgrade, close, a malformed message, a bookmark missing for 2 intervals + 1 s) drops back
/// to delta polling from the cursor of the last message applied, at once, and push is tried
/// again with backoff (1 s doubling to 5 min; reset after a subscription that lasted). Both
/// transports move one cursor in commit order, and the engine applies a task only when its
/// version is newer, so a switch neither loses nor doubles a change.
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
    std::int64_t pushBytesReceived() const
    {
        return m_pushBytes + (m_watch ? m_watch->bytesReceived() : 0);
    }
    /// Times push fell back to polling (or failed to start) since start().
    int pushFailures() const { return m_pushFailures; }
    static constexpr Duration kFirstBookmarkWait{10'000};
    static constexpr Duration kHeartbeatGrace{1000};
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
    void tryPush();
    void subscribe();
    void onPushMessage(const QByteArray &message);
    void goLive();
    /// Push failed: poll from the same cursor now, try push again after a backoff.
    void pushFailed(const QString &why);
    /// Closes the push channel (if any) without a verdict; its handlers fall silent.
    void dropPush();
    void armHeartbeat(Duration within);
    bool canHandOver() const { return !m_inFlight && !m_snapshotting && !m_morePending; }

    enum class Push
    {
        Off,         ///< no channel
        Opening,     ///< upgrade requested; polling goes on
        Opened,      ///< upgraded; waits for a complete poll answer to hand over
        Subscribing, ///< subscribed from m_cursor; polling stopped; nothing heard yet
        Live         ///< events and bookmarks arrive
    };

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
    // Push state.
    std::unique_ptr<WatchChannel> m_watch;
    Push m_push = Push::Off;
    bool m_pushOffered = true; ///< false once the transport said it has no push
    int m_pushGeneration = 0;  ///< handlers of a dropped channel compare and fall silent
    BackoffSequence m_pushBackoff;
    TimerId m_pushTimer = 0;
    TimerId m_heartbeatTimer = 0;
    std::optional<SteadyTime> m_liveSince;
    Duration m_heartbeat{0};
    std::int64_t m_pushBytes = 0;
    int m_pushFailures = 0;
};

} // namespace rebound
