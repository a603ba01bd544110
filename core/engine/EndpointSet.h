#pragma once

#include "history/HistoryStore.h"
#include "remote/EndpointConfig.h"
#include "remote/EndpointPoller.h"
#include "remote/TaskTransport.h"
#include "time/Clock.h"
#include "time/RandomSource.h"
#include "time/TimerSource.h"

#include <QHash>
#include <QObject>

#include <functional>
#include <memory>
#include <optional>

namespace rebound {

/// The endpoints an engine watches: each one's transport and poller, and what the history knew
/// of it when watching began. Adding one already watched (same URL) only takes its new
/// credentials and reconnects; removing one stops its requests at once.
class EndpointSet final
{
public:
    struct Endpoint
    {
        std::shared_ptr<TaskTransport> transport;
        EndpointPoller *poller = nullptr;
        QHash<QString, int> knownAttempts; ///< from the history at start, for reconciliation
        QHash<QString, QPair<int, std::int64_t>> requeues; ///< operator requeues in the history
    };
    /// What the pollers hear, by endpoint key.
    struct Hooks
    {
        std::function<void(const QString &endpoint, const QList<RemoteTask> &tasks, bool snapshot)>
            tasks;
        std::function<void(const QString &endpoint, const EndpointStatus &status)> status;
        /// The endpoint answers again after it was away.
        std::function<void(const QString &endpoint)> back;
        std::function<void(const QString &endpoint, Duration elapsed)> pageAnswered;
    };

    /// `transports` makes each endpoint's transport; by default an EndpointClient (HTTP).
    /// Pollers are children of `owner`.
    EndpointSet(const HistoryStore &history, const Clock &clock, TimerSource &timers,
                RandomSource &rng, TransportFactory transports, QObject *owner, Hooks hooks);
    EndpointSet(const EndpointSet &) = delete;
    EndpointSet &operator=(const EndpointSet &) = delete;

    /// The endpoint newly watched (its poller not yet started), or null when it was watched
    /// already (then it took `config`'s token and trust anchors and reconnected).
    const Endpoint *add(const EndpointConfig &config);
    /// Stops watching: its poller stops and its requests are aborted. The poller is deleted
    /// later, and the transport lives on until callbacks already queued have run.
    std::optional<Endpoint> remove(const QString &endpoint);
    /// Stops every poller and aborts every request (the engine stops).
    void stopAll();

    const Endpoint *find(const QString &endpoint) const;
    TaskTransport *transport(const QString &endpoint) const;
    EndpointPoller *poller(const QString &endpoint) const;
    QStringList keys() const { return m_endpoints.keys(); }
    QList<std::shared_ptr<TaskTransport>> transports() const;

private:
    const HistoryStore &m_history;
    const Clock &m_clock;
    TimerSource &m_timers;
    RandomSource &m_rng;
    TransportFactory m_transports;
    QObject *m_owner;
    Hooks m_hooks;
    QHash<QString, Endpoint> m_endpoints;
};

} // namespace rebound
