#pragma once

#include "ActionHandler.h"
#include "AttemptSimulator.h"
#include "FailureProfile.h"
#include "Faults.h"
#include "HttpAnswer.h"
#include "TaskRoutes.h"
#include "TaskStore.h"
#include "TaskdMetrics.h"
#include "WatchHub.h"
#include "remote/Fence.h"
#include "remote/RemoteTask.h"
#include "time/Clock.h"
#include "time/SeededRandom.h"
#include "time/TimerSource.h"

#include <QAbstractHttpServer>
#include <QHash>
#include <QJsonValue>
#include <QMap>
#include <QPointer>

#include <functional>
#include <map>
#include <memory>

class QTcpSocket;
class QTimer;

namespace rebound::taskd {

struct ServerOptions
{
    QByteArray token; ///< required unless noAuth
    bool noAuth = false;
    FailureProfile profile = FailureProfile::demo();
    std::uint64_t seed = 1;
    std::int64_t hangCapMs = 60'000; ///< a hanging attempt times out after this without a deadline
    qsizetype maxBodyBytes = 1024 * 1024;
    qsizetype maxHeaderBytes = 64 * 1024;
    WatchOptions watch;
    /// Where attempts run, made over the server's store; unset: the AttemptSimulator on
    /// `profile`.
    std::function<std::unique_ptr<TaskBackend>(TaskStore &store)> backend;
};

/// The reference Task API v1 service, a real HTTP/1.1 server (Qt HttpServer) and the peer of
/// every integration test and of the demo. This class is the HTTP side — routes, bearer token,
/// limits, injected faults, the watch upgrade, /metrics; tasks live in a TaskStore, actions are
/// checked by the ActionHandler, and attempts run on a TaskBackend (the AttemptSimulator here).
class TaskServer final : public QAbstractHttpServer
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TaskServer)

public:
    TaskServer(ServerOptions options, const Clock &clock, TimerSource &timers,
               QObject *parent = nullptr);
    ~TaskServer() override;

    /// Creates a task and starts its initial attempt, as the service itself would; with
    /// `wantedId` (not in use) the task gets that id, else one of the service's own.
    QString createTask(const QString &type, const QMap<QString, QString> &labels = {},
                       const QJsonValue &payload = {}, const QString &wantedId = {});
    void startGenerator(double tasksPerSecond, const QStringList &types);
    void stopGenerator();
    void setFaults(const Faults &faults)
    {
        m_faults = faults;
        applyActor();
        applyWatchFaults();
    }
    /// The simulator's failure profile (ignored with another backend).
    void setProfile(const FailureProfile &profile)
    {
        if (m_simulator)
            m_simulator->setProfile(profile);
    }
    /// Makes every cursor issued so far expire (the next delta query answers 410).
    void expireCursors();
    /// Keeps state in the journal at `path` from now on, after restoring what it holds. Attempts
    /// that were running when the earlier process died end as failed ("interrupted", 503), as a
    /// real worker's would. Returns how many tasks were restored.
    Result<int> openJournal(const QString &path);
    /// Records an outside change to a task (a new version, nothing else): for benchmarks that
    /// need a steady trickle of changes.
    void touchTask(const QString &id);

    /// The most a client may send before it gets an answer: one request at its caps.
    qint64 requestByteLimit() const
    {
        return m_options.maxBodyBytes + m_options.maxHeaderBytes + 16 * 1024;
    }
    int taskCount() const { return m_store.size(); }
    std::optional<RemoteTask> task(const QString &id) const;
    QList<RemoteAttempt> attempts(const QString &id) const;
    QStringList taskIds() const { return m_store.ids(); }
    QByteArray metricsText() const;
    const WatchHub &watchHub() const { return *m_watchHub; }

protected:
    bool handleRequest(const QHttpServerRequest &request, QTcpSocket *socket) override;
    void missingHandler(const QHttpServerRequest &request, QTcpSocket *socket) override;

private:
    using Response = HttpAnswer;
    using Action = ActionHandler::Action;

    Response route(const QHttpServerRequest &request, const QString &path, bool &applyFaults,
                   QString &idemKey);
    /// The backend the options name, else a simulator made now (in the constructor).
    TaskBackend *backendOrSimulator();
    /// Records the task's next attempt and hands it to the backend.
    void beginAttempt(TaskRecord &r, AttemptReason reason, std::int64_t deadlineMs);
    void actorTick();
    void applyActor();
    void applyWatchFaults();
    /// An upgrade request: true hands the socket to the WebSocket server; false means it was
    /// answered here (and missingHandler must not answer again).
    bool acceptUpgrade(const QHttpServerRequest &request, QTcpSocket *socket);
    bool authorized(const QHttpServerRequest &request) const;
    Response unauthorized() const;
    void send(QTcpSocket *socket, const QString &path, bool close, Response response);

    ServerOptions m_options;
    const Clock &m_clock;
    TimerSource &m_timers;
    SeededRandom m_rng;
    Faults m_faults;
    TaskdMetrics m_metrics;
    WatchHub *m_watchHub = nullptr; ///< first: the store tells it of changes from the start
    TaskStore m_store;
    AttemptSimulator *m_simulator = nullptr; ///< the backend, when it is the simulator
    std::unique_ptr<TaskBackend> m_backend;  ///< where attempts run
    ActionHandler m_actions;
    TaskRoutes m_tasks;
    QTimer *m_generator = nullptr;
    QTimer *m_actor = nullptr;
    QStringList m_generatorTypes;
};

} // namespace rebound::taskd
