#include "TaskServer.h"

#include "remote/Fence.h"
#include "remote/TraceContext.h"

#include <QFile>
#include <QHttpServerRequest>
#include <QJsonDocument>
#include <QTcpSocket>
#include <QTimer>
#include <QWebSocket>

#include <algorithm>
#include <cmath>

// Resources of a static library must be registered explicitly (outside any namespace).
static void initTaskdResources()
{
    Q_INIT_RESOURCE(taskd);
}

namespace rebound::taskd {

TaskServer::TaskServer(ServerOptions options, const Clock &clock, TimerSource &timers,
                       QObject *parent)
    : QAbstractHttpServer(parent), m_options(std::move(options)), m_clock(clock), m_timers(timers),
      m_rng(m_options.seed), m_store(clock,
                                     [this] {
                                         if (m_watchHub)
                                             m_watchHub->changed();
                                     }),
      m_backend(m_options.backend ? m_options.backend(m_store) : nullptr),
      m_actions(
          m_store, *backendOrSimulator(),
          [this](TaskRecord &r, AttemptReason reason, std::int64_t deadlineMs) {
              beginAttempt(r, reason, deadlineMs);
          },
          m_metrics, clock),
      m_tasks(m_store, m_actions,
              [this](const QString &type, const QMap<QString, QString> &labels,
                     const QJsonValue &payload, const QString &wantedId) {
                  return createTask(type, labels, payload, wantedId);
              })
{
    initTaskdResources();
    WatchHub::Feed feed;
    feed.decode = [this](const QString &c, bool &expired) {
        return m_store.decodeCursor(c, expired);
    };
    feed.cursor = [this](std::uint64_t seq) { return m_store.cursorFor(seq); };
    feed.head = [this] { return m_store.head(); };
    feed.horizon = [this] { return m_store.horizon(); };
    feed.changes = [this](std::uint64_t since, int limit, std::uint64_t &last, bool &more) {
        return m_store.changesSince(since, limit, last, more);
    };
    m_watchHub = new WatchHub(m_options.watch, std::move(feed), this);
    connect(this, &QAbstractHttpServer::newWebSocketConnection, this, [this] {
        while (std::unique_ptr<QWebSocket> ws = nextPendingWebSocketConnection())
            m_watchHub->adopt(ws.release()); // the hub parents it
    });
}

TaskServer::~TaskServer() = default;

TaskBackend *TaskServer::backendOrSimulator()
{
    if (!m_backend) {
        auto simulator = std::make_unique<AttemptSimulator>(
            m_store, m_options.profile, m_options.hangCapMs, m_clock, m_timers, m_rng);
        m_simulator = simulator.get();
        m_backend = std::move(simulator);
    }
    return m_backend.get();
}

void TaskServer::applyWatchFaults()
{
    m_watchHub->setDropRate(m_faults.watchDropRate, [this] { return m_rng.nextUnit(); });
    m_watchHub->setSilent(m_faults.watchSilent);
}

void TaskServer::expireCursors()
{
    m_store.expireCursors();
}

Result<int> TaskServer::openJournal(const QString &path)
{
    return m_store.openJournal(path, [this, path](const QString &key, const QJsonObject &record) {
        if (!m_actions.restore(key, record))
            qWarning("rebound-taskd: %s: ignored a journal record of unknown kind %s",
                     qPrintable(path), qPrintable(key.left(40)));
    });
}

void TaskServer::touchTask(const QString &id)
{
    if (TaskRecord *r = m_store.find(id))
        m_store.touch(*r);
}

QString TaskServer::createTask(const QString &type, const QMap<QString, QString> &labels,
                               const QJsonValue &payload, const QString &wantedId)
{
    const QString id = !wantedId.isEmpty() ? wantedId : m_store.newId();
    beginAttempt(m_store.create(id, type, labels, payload), AttemptReason::Initial, 0);
    return id;
}

void TaskServer::beginAttempt(TaskRecord &r, AttemptReason reason, std::int64_t deadlineMs)
{
    m_store.beginAttempt(r, reason, QString::fromLatin1(TraceContext::generate(m_rng).traceId));
    m_metrics.attemptStarted(r.task.type, reason);
    m_backend->run(r, deadlineMs);
}

std::optional<RemoteTask> TaskServer::task(const QString &id) const
{
    const TaskRecord *r = m_store.find(id);
    return r ? std::optional<RemoteTask>(r->task) : std::nullopt;
}

QList<RemoteAttempt> TaskServer::attempts(const QString &id) const
{
    const TaskRecord *r = m_store.find(id);
    return r ? r->attempts : QList<RemoteAttempt>();
}

void TaskServer::startGenerator(double tasksPerSecond, const QStringList &types)
{
    stopGenerator();
    if (tasksPerSecond <= 0 || types.isEmpty())
        return;
    m_generatorTypes = types;
    m_generator = new QTimer(this);
    m_generator->setInterval(std::max(1, static_cast<int>(std::lround(1000.0 / tasksPerSecond))));
    connect(m_generator, &QTimer::timeout, this, [this] {
        const auto i =
            std::min<qsizetype>(m_generatorTypes.size() - 1,
                                static_cast<qsizetype>(m_rng.nextUnit() * m_generatorTypes.size()));
        createTask(m_generatorTypes.at(i),
                   {{QStringLiteral("source"), QStringLiteral("generator")}});
    });
    m_generator->start();
}

void TaskServer::stopGenerator()
{
    delete m_generator;
    m_generator = nullptr;
}

bool TaskServer::authorized(const QHttpServerRequest &request) const
{
    if (m_options.noAuth)
        return true;
    const QByteArray auth = TaskRoutes::header(request, "Authorization");
    const QByteArray expected = "Bearer " + m_options.token;
    // Constant-time comparison: the token must not leak through timing.
    bool same = auth.size() == expected.size();
    unsigned char diff = 0;
    for (qsizetype i = 0; same && i < auth.size(); ++i)
        diff |= static_cast<unsigned char>(auth[i] ^ expected[i]);
    return same && diff == 0;
}

TaskServer::Response TaskServer::unauthorized() const
{
    Response r =
        Response::problem(401, "unauthorized", QStringLiteral("Missing or wrong bearer token"));
    r.headers.append(Response::Header{"WWW-Authenticate", "Bearer realm=\"rebound-taskd\""});
    return r;
}

bool TaskServer::acceptUpgrade(const QHttpServerRequest &request, QTcpSocket *socket)
{
    // Qt 6.4 hands a WebSocket upgrade to its own server when this returns true; any other
    // answer is written here, and missingHandler (which 6.4 calls next) stays silent.
    const QString path = request.url().path(QUrl::FullyEncoded);
    const auto answer = [&](Response r) {
        socket->setProperty("rebound.answered", true);
        send(socket, path, true, std::move(r));
        return false;
    };
    if (path != QLatin1String("/v1/watch"))
        return answer(Response::problem(404, "not-found", QStringLiteral("No such route"), path));
    if (request.method() != QHttpServerRequest::Method::Get)
        return answer(Response::problem(405, "bad-request", QStringLiteral("Method not allowed")));
    if (!authorized(request))
        return answer(unauthorized());
    if (m_faults.resetRate > 0 && m_rng.nextUnit() < m_faults.resetRate) {
        m_metrics.answered(path, 0);
        m_metrics.faultInjected(QStringLiteral("reset"));
        socket->setProperty("rebound.answered", true);
        socket->abort();
        return false;
    }
    if (m_faults.failRate > 0 && m_rng.nextUnit() < m_faults.failRate) {
        m_metrics.faultInjected(QStringLiteral("fail"));
        return answer(Response::problem(m_faults.failStatus,
                                        m_faults.failStatus == 429 ? "rate-limited" : "unavailable",
                                        QStringLiteral("Injected failure")));
    }
    if (m_watchHub->full())
        return answer(
            Response::problem(503, "unavailable", QStringLiteral("Too many watch connections"),
                              QStringLiteral("at most %1 at once; poll GET /v1/tasks meanwhile")
                                  .arg(m_options.watch.maxConnections)));
    m_metrics.answered(path, 101);
    return true;
}

bool TaskServer::handleRequest(const QHttpServerRequest &request, QTcpSocket *socket)
{
    const QString path = request.url().path(QUrl::FullyEncoded);
    if (TaskRoutes::header(request, "Upgrade").compare("websocket", Qt::CaseInsensitive) == 0)
        return acceptUpgrade(request, socket);
    const bool close =
        TaskRoutes::header(request, "Connection").compare("close", Qt::CaseInsensitive) == 0;
    qsizetype headerBytes = 0;
    for (const auto &[k, v] : request.headers())
        headerBytes += k.size() + v.size() + 4;
    if (headerBytes > m_options.maxHeaderBytes) {
        send(socket, path, close,
             Response::problem(431, "bad-request", QStringLiteral("Request headers too large")));
        return true;
    }
    if (request.body().size() > m_options.maxBodyBytes) {
        send(socket, path, close,
             Response::problem(413, "bad-request", QStringLiteral("Request body too large"),
                               QStringLiteral("at most %1 bytes").arg(m_options.maxBodyBytes)));
        return true;
    }
    const bool faultable =
        path.startsWith(QLatin1String("/v1/")) && path != QLatin1String("/v1/health");
    if (faultable && m_faults.resetRate > 0 && m_rng.nextUnit() < m_faults.resetRate) {
        m_metrics.answered(path, 0);
        m_metrics.faultInjected(QStringLiteral("reset"));
        socket->abort(); // refused before anything was done
        return true;
    }
    if (faultable && m_faults.failRate > 0 && m_rng.nextUnit() < m_faults.failRate) {
        Response r = Response::problem(m_faults.failStatus,
                                       m_faults.failStatus == 429 ? "rate-limited" : "unavailable",
                                       QStringLiteral("Injected failure"));
        if (!m_faults.retryAfter.isEmpty())
            r.headers.append(Response::Header{"Retry-After", m_faults.retryAfter});
        m_metrics.faultInjected(QStringLiteral("fail")); // counted by route in send()
        send(socket, path, close, r);
        return true;
    }
    bool applyFaults = faultable;
    QString idemKey;
    Response r = route(request, path, applyFaults, idemKey);
    if (applyFaults && r.status == 200 && m_faults.malformedRate > 0 &&
        m_rng.nextUnit() < m_faults.malformedRate) {
        m_metrics.faultInjected(QStringLiteral("malformed-") + m_faults.malformedKind);
        if (m_faults.malformedKind == QLatin1String("html")) {
            r.contentType = "text/html";
            r.body = "<html><body><h1>502 Bad Gateway</h1></body></html>";
        } else if (m_faults.malformedKind == QLatin1String("wrong-types")) {
            r.body = R"({"tasks":"none","cursor":7,"more":"maybe","id":1,"state":false})";
        } else if (m_faults.malformedKind == QLatin1String("garbage")) {
            QByteArray junk(64 + static_cast<qsizetype>(m_rng.nextUnit() * 512), Qt::Uninitialized);
            for (char &c : junk)
                c = static_cast<char>(m_rng.nextUnit() * 256);
            r.body = junk;
        } else if (m_faults.malformedKind == QLatin1String("oversized")) {
            r.body = "{\"tasks\":[" + QByteArray(20 * 1024 * 1024, ' ') + "]}";
        } else {
            r.body.chop(r.body.size() / 2);
        }
    }
    if (applyFaults && m_faults.resetMidBodyRate > 0 &&
        m_rng.nextUnit() < m_faults.resetMidBodyRate) {
        // The work is done (and its idempotency entry kept); the answer is cut off half way.
        m_actions.answered(idemKey);
        m_metrics.answered(path, 0);
        m_metrics.faultInjected(QStringLiteral("reset-mid-body"));
        socket->write(r.head(false) + r.body.left(r.body.size() / 2));
        socket->flush();
        socket->abort();
        return true;
    }
    if (applyFaults && m_faults.slowMs > 0)
        m_metrics.faultInjected(QStringLiteral("slow"));
    if (!idemKey.isEmpty() && m_faults.slowMs > 0 && applyFaults) {
        // Answer later; until then the key is in flight and a duplicate gets 409.
        QPointer<QTcpSocket> guard(socket);
        QTimer::singleShot(m_faults.slowMs, this, [this, guard, path, close, idemKey, r] {
            m_actions.answered(idemKey);
            if (guard)
                send(guard, path, close, r);
        });
        return true;
    }
    m_actions.answered(idemKey);
    if (applyFaults && m_faults.slowMs > 0) {
        QPointer<QTcpSocket> guard(socket);
        QTimer::singleShot(m_faults.slowMs, this, [this, guard, path, close, r] {
            if (guard)
                send(guard, path, close, r);
        });
        return true;
    }
    send(socket, path, close, r);
    return true;
}

void TaskServer::missingHandler(const QHttpServerRequest &request, QTcpSocket *socket)
{
    if (socket->property("rebound.answered").toBool())
        return;
    send(socket, request.url().path(QUrl::FullyEncoded), false,
         Response::problem(404, "not-found", QStringLiteral("No such route")));
}

void TaskServer::send(QTcpSocket *socket, const QString &path, bool close, Response response)
{
    m_metrics.answered(path, response.status);
    if (m_faults.dripMs > 0 && path.startsWith(QLatin1String("/v1/")) && !response.body.isEmpty()) {
        m_metrics.faultInjected(QStringLiteral("drip"));
        // Headers now, then the body one byte at a time: a client without an overall deadline
        // would wait for ever.
        const QByteArray body = response.body;
        socket->write(response.head(false));
        QPointer<QTcpSocket> guard(socket);
        auto *timer = new QTimer(this);
        auto sent = std::make_shared<qsizetype>(0);
        connect(timer, &QTimer::timeout, this, [guard, timer, body, sent] {
            if (!guard || *sent >= body.size()) {
                timer->deleteLater();
                return;
            }
            guard->write(body.constData() + (*sent)++, 1);
        });
        timer->start(static_cast<int>(m_faults.dripMs));
        return;
    }
    socket->write(response.raw(close));
    if (close)
        socket->disconnectFromHost();
}

TaskServer::Response TaskServer::route(const QHttpServerRequest &request, const QString &path,
                                       bool &applyFaults, QString &idemKey)
{
    using M = QHttpServerRequest::Method;
    const M method = request.method();
    if (path == QLatin1String("/openapi.yaml") && method == M::Get) {
        applyFaults = false;
        QFile f(QStringLiteral(":/rebound/task-api.yaml"));
        Response r;
        r.contentType = "application/yaml";
        if (f.open(QIODevice::ReadOnly))
            r.body = f.readAll();
        return r;
    }
    if (path == QLatin1String("/metrics") && method == M::Get) {
        applyFaults = false;
        Response r;
        r.contentType = "text/plain; version=0.0.4";
        r.body = metricsText();
        return r;
    }
    const bool isApi =
        path.startsWith(QLatin1String("/v1/")) || path.startsWith(QLatin1String("/admin/"));
    if (!isApi)
        return Response::problem(404, "not-found", QStringLiteral("No such route"), path);
    if (!authorized(request)) {
        applyFaults = false;
        return unauthorized();
    }
    if (method == M::Post && TaskdMetrics::routeLabel(path) != QLatin1String("unmatched")) {
        // Bodies are JSON; anything else is refused before it is read as JSON.
        const QByteArray type = TaskRoutes::header(request, "Content-Type");
        const QByteArray media = type.split(';').first().trimmed().toLower();
        if (media != "application/json") {
            applyFaults = false;
            return Response::problem(
                415, "unsupported-media-type", QStringLiteral("Request body must be JSON"),
                QStringLiteral("Content-Type: expected application/json, got %1")
                    .arg(type.isEmpty() ? QStringLiteral("none")
                                        : QString::fromLatin1(type.left(100))));
        }
    }
    if (path == QLatin1String("/admin/faults")) {
        applyFaults = false;
        if (method == M::Post) {
            const QJsonDocument doc = QJsonDocument::fromJson(request.body());
            auto f = Faults::fromJson(doc.object());
            if (!doc.isObject() || !f)
                return Response::problem(400, "bad-request", QStringLiteral("Invalid faults"),
                                         f ? QStringLiteral("body must be an object")
                                           : f.error().message);
            m_faults = *f;
            applyActor();
            applyWatchFaults();
            if (doc.object().value(QStringLiteral("expireCursors")).toBool())
                expireCursors();
        }
        return Response::json(m_faults.toJson());
    }
    if (path == QLatin1String("/admin/profile") && method == M::Post) {
        applyFaults = false;
        auto profile = FailureProfile::fromJson(request.body());
        if (!profile)
            return Response::problem(400, "bad-request", QStringLiteral("Invalid profile"),
                                     profile.error().message);
        if (!m_simulator)
            return Response::problem(
                409, "invalid-state", QStringLiteral("No simulated attempts here"),
                QStringLiteral("this service runs attempts on a real backend"));
        m_simulator->setProfile(*profile);
        Response r;
        r.body = "{}";
        return r;
    }
    if (path == QLatin1String("/v1/health")) {
        return Response::json(QJsonObject{{QStringLiteral("status"), QStringLiteral("ok")},
                                          {QStringLiteral("tasks"), taskCount()}});
    }
    if (path == QLatin1String("/v1/watch")) {
        // Reached only without an Upgrade header (handleRequest takes upgrades first).
        applyFaults = false;
        Response r =
            Response::problem(426, "upgrade-required", QStringLiteral("/v1/watch is a WebSocket"),
                              QStringLiteral("send a WebSocket upgrade (Upgrade: websocket)"));
        r.headers.append(Response::Header{"Upgrade", "websocket"});
        r.headers.append(Response::Header{"Connection", "Upgrade"});
        return r;
    }
    if (path == QLatin1String("/v1/fences")) {
        if (method == M::Post)
            return m_actions.announceFence(request.body());
        return Response::problem(405, "bad-request", QStringLiteral("Method not allowed"));
    }
    if (auto answered = m_tasks.answer(request, path, idemKey))
        return *answered;
    return Response::problem(404, "not-found", QStringLiteral("No such route"), path);
}

void TaskServer::applyActor()
{
    delete m_actor;
    m_actor = nullptr;
    if (m_faults.actorRetriesPerSecond <= 0)
        return;
    m_actor = new QTimer(this);
    m_actor->setInterval(
        std::max(1, static_cast<int>(std::lround(1000.0 / m_faults.actorRetriesPerSecond))));
    connect(m_actor, &QTimer::timeout, this, &TaskServer::actorTick);
    m_actor->start();
}

void TaskServer::actorTick()
{
    // Someone else retries one failed task, picked at random, behind every client's back.
    QStringList failed;
    for (const QString &id : m_store.ids()) {
        if (m_store.find(id)->task.state == RemoteState::Failed)
            failed << id;
    }
    if (failed.isEmpty())
        return;
    const auto i = std::min<qsizetype>(failed.size() - 1,
                                       static_cast<qsizetype>(m_rng.nextUnit() * failed.size()));
    beginAttempt(*m_store.find(failed.at(i)), AttemptReason::Auto, 0);
    m_metrics.faultInjected(QStringLiteral("actor"));
}

QByteArray TaskServer::metricsText() const
{
    return m_metrics.text(taskCount(), m_watchHub->connections(), m_watchHub->stats());
}

} // namespace rebound::taskd
