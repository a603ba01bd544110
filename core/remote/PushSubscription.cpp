#include "remote/PushSubscription.h"

#include "remote/EndpointDefaults.h"

#include <QMetaObject>

namespace rebound {

PushSubscription::PushSubscription(TaskTransport &transport, const Clock &clock,
                                   TimerSource &timers, RandomSource &rng, QObject *context,
                                   Hooks hooks)
    : m_transport(transport), m_clock(clock), m_timers(timers), m_rng(rng), m_context(context),
      m_hooks(std::move(hooks)), m_backoff(EndpointDefaults::pushBackoff())
{}

PushSubscription::~PushSubscription()
{
    drop();
}

void PushSubscription::reset()
{
    drop();
    m_backoff.reset(EndpointDefaults::pushBackoff());
    m_offered = true;
}

bool PushSubscription::afterComplete()
{
    if (m_state == State::Opened) {
        subscribe();
        return true;
    }
    if (m_state == State::Off && m_retryTimer == 0)
        open();
    return false;
}

void PushSubscription::open()
{
    if (!m_offered || m_state != State::Off)
        return;
    m_channel = m_transport.openWatch();
    if (!m_channel) {
        m_offered = false;
        return;
    }
    m_state = State::Opening;
    const int generation = ++m_generation;
    WatchChannel::Handlers h;
    h.opened = [this, generation] {
        if (generation != m_generation)
            return;
        m_state = State::Opened;
        if (m_hooks.canHandOver()) {
            subscribe();
            return;
        }
        // The poll in flight (or the pages still to fetch) finish first; afterComplete()
        // subscribes from the cursor they end with.
        if (m_heartbeatTimer)
            m_timers.cancel(std::exchange(m_heartbeatTimer, 0));
    };
    h.message = [this, generation](const QByteArray &m) {
        if (generation == m_generation)
            onMessage(m);
    };
    h.closed = [this, generation](const QString &why) {
        if (generation == m_generation)
            fail(why);
    };
    // Refused, unreachable or silent: the upgrade has as long as a first bookmark to finish.
    armHeartbeat(kFirstBookmarkWait);
    m_channel->open(std::move(h));
}

void PushSubscription::subscribe()
{
    m_state = State::Subscribing;
    m_channel->send(WatchProtocol::subscribe(m_hooks.cursor()));
    armHeartbeat(kFirstBookmarkWait);
}

void PushSubscription::armHeartbeat(Duration within)
{
    if (m_heartbeatTimer)
        m_timers.cancel(m_heartbeatTimer);
    m_heartbeatTimer = m_timers.schedule(m_clock.steadyNow() + within, [this, within] {
        m_heartbeatTimer = 0;
        fail(m_state == State::Live
                 ? QStringLiteral("no bookmark for %1 ms").arg(within.count())
                 : QStringLiteral("no answer to the upgrade or subscribe in %1 ms")
                       .arg(within.count()));
    });
}

void PushSubscription::onMessage(const QByteArray &message)
{
    if (!carries()) { // before a subscribe the service has nothing to say
        fail(QStringLiteral("message before subscribing"));
        return;
    }
    auto event = WatchProtocol::decodeEvent(message);
    if (!event) {
        fail(QStringLiteral("malformed message: ") + event.error().message);
        return;
    }
    if (event->kind == WatchProtocol::Event::Kind::Resync) {
        drop();
        m_hooks.resync();
        return;
    }
    if (m_state != State::Live) {
        m_state = State::Live;
        m_liveSince = m_clock.steadyNow();
        m_hooks.live();
    }
    if (event->kind == WatchProtocol::Event::Kind::Bookmark) {
        m_heartbeat = Duration(event->intervalMs);
        armHeartbeat(m_heartbeat * 2 + kHeartbeatGrace);
    }
    m_hooks.event(*event);
}

void PushSubscription::fail(const QString &why)
{
    const SteadyTime now = m_clock.steadyNow();
    // A subscription that carried changes for a while proves push works: start the backoff
    // over, so one dropped connection is retried after a second, not after the last delay.
    if (m_liveSince && now - *m_liveSince >= std::max(Duration(30'000), m_heartbeat * 4))
        m_backoff.reset(EndpointDefaults::pushBackoff());
    const bool wasCarrying = carries();
    ++m_failures;
    drop();
    const SteadyTime retryAt =
        now + Duration(static_cast<std::int64_t>(m_backoff.next(m_rng).delayMs));
    m_retryTimer = m_timers.schedule(retryAt, [this] {
        m_retryTimer = 0;
        if (m_hooks.canHandOver())
            open();
        // else: the poller's next complete answer tries (afterComplete()).
    });
    m_hooks.failed(why, wasCarrying, retryAt);
}

void PushSubscription::drop()
{
    ++m_generation;
    m_state = State::Off;
    m_liveSince.reset();
    if (m_heartbeatTimer)
        m_timers.cancel(std::exchange(m_heartbeatTimer, 0));
    if (m_retryTimer)
        m_timers.cancel(std::exchange(m_retryTimer, 0));
    if (m_channel) {
        m_bytes += m_channel->bytesReceived();
        // Not now: this may run inside one of the channel's own handlers.
        QMetaObject::invokeMethod(
            m_context, [channel = std::shared_ptr<WatchChannel>(std::move(m_channel))] {},
            Qt::QueuedConnection);
    }
}

} // namespace rebound
