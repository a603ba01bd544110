#pragma once

#include "decision/BackoffSequence.h"
#include "remote/TaskTransport.h"
#include "remote/WatchProtocol.h"
#include "time/Clock.h"
#include "time/RandomSource.h"
#include "time/TimerSource.h"

#include <QObject>
#include <QString>

#include <functional>
#include <memory>
#include <optional>

namespace rebound {

/// The push side of an endpoint's sync: a `/v1/watch` subscription that carries the changes
/// while it is live, so the poller can stop polling. Its states: Off → Opening (upgrade asked;
/// polling goes on) → Opened (upgraded; waits for the poller's complete answer) → Subscribing
/// (from the poller's cursor; polling stopped) → Live (events and bookmarks). Any failure —
/// refused upgrade, close, a malformed message, no bookmark for 2 intervals + 1 s — drops it,
/// tells the poller (which polls from the cursor of the last message applied, at once), and
/// tries again after a backoff (1 s doubling to 5 min; reset after a subscription that lasted).
class PushSubscription final
{
public:
    struct Hooks
    {
        /// The poller runs, is connected, and has a complete answer with nothing in flight:
        /// the moment a subscription may take over from its cursor.
        std::function<bool()> canHandOver;
        /// Where a subscription starts (the poller's cursor).
        std::function<QString()> cursor;
        /// The first message of a subscription arrived.
        std::function<void()> live;
        /// A message to apply (tasks, or a bookmark); its cursor is now the sync's.
        std::function<void(const WatchProtocol::Event &event)> event;
        /// The service asked for a full resync (push is dropped; a snapshot is due).
        std::function<void()> resync;
        /// Push failed: `wasCarrying` when it had taken over from polling; tried again at
        /// `retryAt`.
        std::function<void(const QString &why, bool wasCarrying, SteadyTime retryAt)> failed;
    };

    /// A dropped channel is deleted on `context`'s next event-loop turn (it may be dropped
    /// from inside one of its own handlers).
    PushSubscription(TaskTransport &transport, const Clock &clock, TimerSource &timers,
                     RandomSource &rng, QObject *context, Hooks hooks);
    ~PushSubscription();
    PushSubscription(const PushSubscription &) = delete;
    PushSubscription &operator=(const PushSubscription &) = delete;

    /// Forgets earlier failures (a start, or new credentials): push is offered again.
    void reset();
    /// Closes the channel, if any, without a verdict; its handlers fall silent.
    void drop();
    /// After the poller's complete answer: subscribes when the channel is open (true: polling
    /// stops), or opens one when none is on its way.
    bool afterComplete();
    /// Whether the subscription carries the changes (the poller does not poll).
    bool carries() const { return m_state == State::Subscribing || m_state == State::Live; }

    std::int64_t bytesReceived() const
    {
        return m_bytes + (m_channel ? m_channel->bytesReceived() : 0);
    }
    int failures() const { return m_failures; }

    static constexpr Duration kFirstBookmarkWait{10'000};
    static constexpr Duration kHeartbeatGrace{1000};

private:
    enum class State
    {
        Off,
        Opening,
        Opened,
        Subscribing,
        Live
    };
    void open();
    void subscribe();
    void onMessage(const QByteArray &message);
    void fail(const QString &why);
    void armHeartbeat(Duration within);

    TaskTransport &m_transport;
    const Clock &m_clock;
    TimerSource &m_timers;
    RandomSource &m_rng;
    QObject *m_context;
    Hooks m_hooks;
    std::unique_ptr<WatchChannel> m_channel;
    State m_state = State::Off;
    bool m_offered = true; ///< false once the transport said it has no push
    int m_generation = 0;  ///< handlers of a dropped channel compare and fall silent
    BackoffSequence m_backoff;
    TimerId m_retryTimer = 0;
    TimerId m_heartbeatTimer = 0;
    std::optional<SteadyTime> m_liveSince;
    Duration m_heartbeat{0};
    std::int64_t m_bytes = 0;
    int m_failures = 0;
};

} // namespace rebound
