#include "engine/EndpointSet.h"

#include "remote/EndpointClient.h"

#include <QTimer>

namespace rebound {

EndpointSet::EndpointSet(const HistoryStore &history, const Clock &clock, TimerSource &timers,
                         RandomSource &rng, TransportFactory transports, QObject *owner,
                         Hooks hooks)
    : m_history(history), m_clock(clock), m_timers(timers), m_rng(rng),
      m_transports(std::move(transports)), m_owner(owner), m_hooks(std::move(hooks))
{
    if (!m_transports) {
        m_transports = [this](const EndpointConfig &config) -> std::unique_ptr<TaskTransport> {
            return std::make_unique<EndpointClient>(config, m_clock, m_rng);
        };
    }
}

const EndpointSet::Endpoint *EndpointSet::add(const EndpointConfig &config)
{
    const QString key = config.key();
    if (const auto it = m_endpoints.constFind(key); it != m_endpoints.constEnd()) {
        it->transport->setCredentials(config.token, config.caCertificates);
        it->poller->reconnect();
        return nullptr;
    }
    Endpoint e;
    e.transport = m_transports(config);
    e.poller = new EndpointPoller(*e.transport, m_clock, m_timers, m_rng, m_owner);
    e.knownAttempts = m_history.knownAttempts(key);
    e.requeues = m_history.requeues(key);
    QObject::connect(e.poller, &EndpointPoller::tasksChanged, m_owner,
                     [this, key](const QList<RemoteTask> &tasks, bool snapshot) {
                         m_hooks.tasks(key, tasks, snapshot);
                     });
    QObject::connect(
        e.poller, &EndpointPoller::statusChanged, m_owner,
        [this, key, was = EndpointStatus::State::Connected](const EndpointStatus &s) mutable {
            if (s.state == EndpointStatus::State::Connected && was != s.state)
                m_hooks.back(key);
            was = s.state;
            m_hooks.status(key, s);
        });
    QObject::connect(e.poller, &EndpointPoller::pageAnswered, m_owner,
                     [this, key](Duration elapsed) { m_hooks.pageAnswered(key, elapsed); });
    return &*m_endpoints.insert(key, e);
}

std::optional<EndpointSet::Endpoint> EndpointSet::remove(const QString &endpoint)
{
    const auto it = m_endpoints.find(endpoint);
    if (it == m_endpoints.end())
        return std::nullopt;
    const Endpoint e = *it;
    // Gone from the set first: the callbacks the aborts below run find no endpoint and stop.
    m_endpoints.erase(it);
    e.poller->stop();
    e.transport->abortAll();
    e.poller->deleteLater();
    // Callbacks of aborted requests may still be queued: the transport dies after them.
    QTimer::singleShot(0, m_owner, [transport = e.transport] { (void)transport; });
    return e;
}

void EndpointSet::stopAll()
{
    for (Endpoint &e : m_endpoints) {
        e.poller->stop();
        e.transport->abortAll();
    }
}

const EndpointSet::Endpoint *EndpointSet::find(const QString &endpoint) const
{
    const auto it = m_endpoints.constFind(endpoint);
    return it == m_endpoints.constEnd() ? nullptr : &*it;
}

TaskTransport *EndpointSet::transport(const QString &endpoint) const
{
    const Endpoint *e = find(endpoint);
    return e ? e->transport.get() : nullptr;
}

EndpointPoller *EndpointSet::poller(const QString &endpoint) const
{
    const Endpoint *e = find(endpoint);
    return e ? e->poller : nullptr;
}

QList<std::shared_ptr<TaskTransport>> EndpointSet::transports() const
{
    QList<std::shared_ptr<TaskTransport>> out;
    for (const Endpoint &e : m_endpoints)
        out << e.transport;
    return out;
}

} // namespace rebound
