#include "EndpointPoller.h"

#include "JsonLog.h"
#include "TaskApi.h"
#include "TaskJson.h"

namespace rebound {

namespace {
BreakerConfig endpointBreaker()
{
    BreakerConfig c;
    c.windowSize = 10;
    c.minimumNumberOfCalls = 5;
    c.failureRateThreshold = 60;
    c.waitDurationInOpenMs = 15'000;
    c.permittedCallsInHalfOpen = 1;
    c.slowCallDurationThresholdMs = 30'000;
    return c;
}

BackoffConfig endpointBackoff()
{
    BackoffConfig b;
    b.initialDelayMs = 1000;
    b.multiplier = 2;
    b.maxDelayMs = 30'000;
    b.jitter = JitterMode::Equal;
    return b;
}

TimeoutConfig requestTimeout()
{
    TimeoutConfig t;
    t.fixedMs = 10'000; // until enough answers are seen
    t.floorMs = 2'000;
    t.ceilingMs = 30'000;
    t.windowSize = 100;
    t.minSamples = 10;
    return t;
}
} // namespace

QString toText(EndpointStatus::State s)
{
    switch (s) {
    case EndpointStatus::State::Connecting:
        return QStringLiteral("connecting");
    case EndpointStatus::State::Connected:
        return QStringLiteral("connected");
    case EndpointStatus::State::BackingOff:
        return QStringLiteral("backing off");
    case EndpointStatus::State::Misbehaving:
        return QStringLiteral("misbehaving");
    case EndpointStatus::State::BreakerOpen:
        return QStringLiteral("breaker open");
    }
    return {};
}

EndpointPoller::EndpointPoller(TaskTransport &transport, const Clock &clock, TimerSource &timers,
                               RandomSource &rng, QObject *parent)
    : QObject(parent), m_client(transport), m_clock(clock), m_timers(timers), m_rng(rng),
      m_breaker(endpointBreaker(), clock), m_backoff(endpointBackoff()), m_timeout(requestTimeout())
{}

EndpointPoller::~EndpointPoller()
{
    stop();
}

void EndpointPoller::setIntervals(Duration fast, Duration slow)
{
    m_fast = fast;
    m_slow = slow;
    m_interval = fast;
}

void EndpointPoller::start()
{
    m_running = true;
    m_snapshotting = true;
    m_cursor.clear();
    m_etag.clear();
    m_snapshot.clear();
    schedule(Duration(0));
}

void EndpointPoller::stop()
{
    m_running = false;
    if (m_timer) {
        m_timers.cancel(m_timer);
        m_timer = 0;
    }
}

void EndpointPoller::poke()
{
    m_interval = m_fast;
    if (m_inFlight) {
        m_pokeWhileInFlight = true;
        return;
    }
    if (m_running && m_status.state == EndpointStatus::State::Connected)
        schedule(Duration(0));
}

void EndpointPoller::reconnect()
{
    m_breaker.reset();
    m_backoff.reset(endpointBackoff());
    m_interval = m_fast;
    if (m_inFlight) {
        m_pokeWhileInFlight = true;
        return;
    }
    schedule(Duration(0));
}

void EndpointPoller::schedule(Duration after)
{
    if (!m_running)
        return;
    if (m_timer)
        m_timers.cancel(m_timer);
    m_timer = m_timers.schedule(m_clock.steadyNow() + after, [this] {
        m_timer = 0;
        pollOnce();
    });
}

void EndpointPoller::setState(EndpointStatus::State s, std::optional<SteadyTime> next,
                              const QString &error)
{
    m_status.state = s;
    m_status.nextTryAt = next;
    m_status.lastError = error;
    m_status.pollInterval = m_interval;
    Q_EMIT statusChanged(m_status);
}

void EndpointPoller::pollOnce()
{
    if (!m_running || m_inFlight)
        return;
    if (const auto until = m_breaker.blockedUntil()) {
        setState(EndpointStatus::State::BreakerOpen, *until, m_status.lastError);
        schedule(*until - m_clock.steadyNow());
        return;
    }
    m_breaker.tryAcquire();
    m_inFlight = true;
    m_requestedCursor = m_snapshotting ? (m_snapshot.isEmpty() ? QString() : m_cursor) : m_cursor;
    ApiRequest req =
        TaskApi::listTasks(m_requestedCursor, kPageSize, m_snapshotting ? QByteArray() : m_etag);
    req.timeout = m_timeout.current();
    ++m_requests;
    m_client.send(req, [this](const ApiResponse &r) {
        m_inFlight = false;
        m_bytes += r.body.size();
        onPage(r);
        if (m_pokeWhileInFlight && m_running &&
            m_status.state == EndpointStatus::State::Connected) {
            m_pokeWhileInFlight = false;
            schedule(Duration(0));
        }
    });
}

void EndpointPoller::onFailure(const QString &why, bool misbehaving)
{
    m_breaker.record(CallOutcome::Failure, Duration(0));
    // A repeated page would come back the same: start the next try from where the service
    // last made sense (a fresh snapshot, or the last cursor that moved on).
    m_cursorsThisRun.clear();
    const BackoffDelay d = m_backoff.next(m_rng);
    const Duration wait(static_cast<std::int64_t>(d.delayMs));
    JsonLog::event(lcClient, QtWarningMsg,
                   misbehaving ? QStringLiteral("endpoint_misbehaving")
                               : QStringLiteral("endpoint_unreachable"),
                   {{QStringLiteral("endpoint"), m_client.endpointKey()},
                    {QStringLiteral("cause"), why},
                    {QStringLiteral("delay_ms"), qint64(wait.count())}});
    if (const auto until = m_breaker.blockedUntil()) {
        setState(EndpointStatus::State::BreakerOpen, *until, why);
        schedule(*until - m_clock.steadyNow());
        return;
    }
    setState(misbehaving ? EndpointStatus::State::Misbehaving : EndpointStatus::State::BackingOff,
             m_clock.steadyNow() + wait, why);
    schedule(wait);
}

void EndpointPoller::onPage(const ApiResponse &r)
{
    if (!m_running)
        return;
    Q_EMIT pageAnswered(r.elapsed);
    if (r.transport != TransportError::None || r.status >= 500 || r.status == 429 ||
        r.status == 401 || r.status == 403) {
        onFailure(r.describe());
        return;
    }
    m_timeout.record(r.elapsed);
    if (r.status == 410) {
        // The cursor expired: start again from a full snapshot.
        JsonLog::event(lcClient, QtInfoMsg, QStringLiteral("resync"),
                       {{QStringLiteral("endpoint"), m_client.endpointKey()}});
        m_breaker.record(CallOutcome::Success, r.elapsed);
        m_snapshotting = true;
        m_snapshot.clear();
        m_cursor.clear();
        m_etag.clear();
        schedule(Duration(0));
        return;
    }
    if (r.status == 304) {
        m_breaker.record(CallOutcome::Success, r.elapsed);
        m_backoff.reset(endpointBackoff());
        m_interval = std::min(m_slow, m_interval * 2);
        m_status.lastSyncWallMs = m_clock.wallNowMs();
        m_status.lastCompleteAt = m_clock.steadyNow();
        setState(EndpointStatus::State::Connected, std::nullopt);
        schedule(m_interval);
        return;
    }
    if (r.status != 200) {
        onFailure(r.describe());
        return;
    }
    auto page = TaskJson::decodePage(r.body);
    if (!page) {
        onFailure(QStringLiteral("malformed answer: ") + page.error().message, true);
        return;
    }
    if (page->more) {
        // A service that says "more" must hand out a cursor that moves on; one that repeats
        // (the same as asked with, or any seen since the last complete answer) would have us
        // ask for ever. Nothing of such a run is trusted: the snapshot starts over.
        if (page->cursor == m_requestedCursor || m_cursorsThisRun.contains(page->cursor)) {
            const QString why =
                QStringLiteral("cursor %1 did not advance while more is true").arg(page->cursor);
            if (m_snapshotting) {
                m_snapshot.clear();
                m_cursor.clear();
            }
            onFailure(why, true);
            return;
        }
        m_cursorsThisRun.insert(page->cursor);
    } else {
        m_cursorsThisRun.clear();
    }
    m_breaker.record(CallOutcome::Success, r.elapsed);
    // Only a complete answer proves the endpoint well again: a first page followed by a broken
    // second one must not restart the backoff every time.
    if (!page->more)
        m_backoff.reset(endpointBackoff());
    m_cursor = page->cursor;
    m_etag = r.header("etag");
    m_status.lastSyncWallMs = m_clock.wallNowMs();
    if (m_snapshotting) {
        m_snapshot += page->tasks;
        if (page->more) {
            schedule(Duration(0));
            return;
        }
        m_snapshotting = false;
        const QList<RemoteTask> all = std::move(m_snapshot);
        m_snapshot.clear();
        m_interval = m_fast;
        setState(EndpointStatus::State::Connected, std::nullopt);
        Q_EMIT tasksChanged(all, true);
        m_status.lastCompleteAt = m_clock.steadyNow();
        schedule(m_interval);
        return;
    }
    if (!page->tasks.isEmpty()) {
        m_interval = m_fast;
        Q_EMIT tasksChanged(page->tasks, false);
    } else {
        m_interval = std::min(m_slow, m_interval * 2);
    }
    if (!page->more)
        m_status.lastCompleteAt = m_clock.steadyNow();
    setState(EndpointStatus::State::Connected, std::nullopt);
    schedule(page->more ? Duration(0) : m_interval);
}

} // namespace rebound
