#pragma once

#include "FailureProfile.h"
#include "Faults.h"
#include "TaskJournal.h"
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

#include <map>

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
};

/// The reference Task API v1 service: an in-memory task store whose attempts are simulated
/// from a failure profile. It is a real HTTP/1.1 server (Qt HttpServer) and the peer of every
/// integration test and of the demo.
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
    void setProfile(const FailureProfile &profile) { m_options.profile = profile; }
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
    int taskCount() const { return static_cast<int>(m_tasks.size()); }
    std::optional<RemoteTask> task(const QString &id) const;
    QList<RemoteAttempt> attempts(const QString &id) const;
    QStringList taskIds() const { return m_tasks.keys(); }
    QByteArray metricsText() const;
    const WatchHub &watchHub() const { return *m_watchHub; }

protected:
    bool handleRequest(const QHttpServerRequest &request, QTcpSocket *socket) override;
    void missingHandler(const QHttpServerRequest &request, QTcpSocket *socket) override;

private:
    struct Header
    {
        QByteArray name;
        QByteArray value;
    };
    struct Response
    {
        int status = 200;
        QList<Header> headers;
        QByteArray body;
        QByteArray contentType = "application/json";
    };
    struct TaskRecord
    {
        RemoteTask task;
        QList<RemoteAttempt> attempts;
        std::uint64_t seq = 0;
        QJsonValue payload;
        TimerId completion = 0;
    };
    struct IdempotencyEntry
    {
        QByteArray bodyHash;
        bool inFlight = true;
        Response response;
    };

    Response route(const QHttpServerRequest &request, const QString &path, bool &applyFaults,
                   QString &idemKey);
    Response listTasks(const QHttpServerRequest &request);
    /// Up to `limit` tasks changed after `since`, in commit order: a list page and a watch
    /// message alike. `last` is the sequence number of the last one, `more` whether others follow.
    QJsonArray changesSince(std::uint64_t since, int limit, std::uint64_t &last, bool &more) const;
    enum class Action
    {
        StartAttempt,
        Cancel,
        AbortAttempt
    };
    Response postAction(const QHttpServerRequest &request, const QString &id, Action action,
                        int attemptNumber, QString &idemKey);
    /// Applies an action whose preconditions and body passed; fills `r` or returns a problem.
    std::optional<Response> applyAction(TaskRecord &rec, Action action, int attemptNumber,
                                        const QJsonObject &body, Response &r);
    void actorTick();
    void applyActor();
    void applyWatchFaults();
    /// An upgrade request: true hands the socket to the WebSocket server; false means it was
    /// answered here (and missingHandler must not answer again).
    bool acceptUpgrade(const QHttpServerRequest &request, QTcpSocket *socket);
    bool authorized(const QHttpServerRequest &request) const;
    Response unauthorized() const;
    /// A fleet member's fence, carried by an action or announced: refused (409) when below
    /// the highest seen for its shard, else kept as the highest.
    std::optional<Response> admitFence(const Fence &fence, bool announced);
    Response announceFence(const QHttpServerRequest &request);
    Response problem(int status, const char *type, const QString &title,
                     const QString &detail = {}) const;
    Response taskResponse(const TaskRecord &r, int status) const;
    void send(QTcpSocket *socket, const QString &path, bool close, Response response);
    /// Status line and headers of an HTTP/1.1 answer (Content-Length of the whole body).
    static QByteArray rawHead(const Response &r, bool close);
    void writeRaw(QTcpSocket *socket, const Response &r, bool close);

    void touch(TaskRecord &r);
    void journal(QJsonObject record);
    void flushJournal();
    QJsonObject journalRecord(const TaskRecord &r) const;
    void beginAttempt(TaskRecord &r, AttemptReason reason, std::int64_t deadlineMs);
    void finishAttempt(const QString &id, int number, const SimResult &sim);
    QByteArray cursorFor(std::uint64_t seq) const;
    std::optional<std::uint64_t> decodeCursor(const QString &cursor, bool &expired) const;
    QByteArray header(const QHttpServerRequest &request, const char *name) const;

    ServerOptions m_options;
    const Clock &m_clock;
    TimerSource &m_timers;
    SeededRandom m_rng;
    Faults m_faults;
    QByteArray m_epoch;
    std::uint64_t m_seq = 0;
    std::uint64_t m_horizon = 0; ///< cursors below this have expired
    std::uint64_t m_nextId = 1;
    QHash<QString, TaskRecord> m_tasks;
    std::map<std::uint64_t, QString> m_bySeq;
    QHash<QString, IdempotencyEntry> m_idempotency;
    QHash<int, std::int64_t> m_fences; ///< the highest Rebound-Fence revision seen, per shard
    std::unique_ptr<TaskJournal> m_journal;
    QList<QJsonObject> m_journalPending;
    bool m_holdJournal = false; ///< collect, then write a request's records in one append
    QTimer *m_generator = nullptr;
    QTimer *m_actor = nullptr;
    QStringList m_generatorTypes;
    WatchHub *m_watchHub = nullptr;

    TaskdMetrics m_metrics;
};

} // namespace rebound::taskd
