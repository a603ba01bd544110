#include "TaskServer.h"

#include "decision/ProblemDetails.h"
#include "remote/Fence.h"
#include "remote/TaskJson.h"
#include "remote/TraceContext.h"
#include "support/HttpDate.h"
#include "support/Rfc3339.h"

#include <QCryptographicHash>
#include <QFile>
#include <QHttpServerRequest>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRandomGenerator>
#include <QScopeGuard>
#include <QTcpSocket>
#include <QTimer>
#include <QWebSocket>
#include <QUrlQuery>

#include <algorithm>
#include <cmath>

// Resources of a static library must be registered explicitly (outside any namespace).
static void initTaskdResources()
{
    Q_INIT_RESOURCE(taskd);
}

namespace rebound::taskd {

namespace {

const char *reasonPhrase(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 410:
        return "Gone";
    case 412:
        return "Precondition Failed";
    case 413:
        return "Content Too Large";
    case 415:
        return "Unsupported Media Type";
    case 422:
        return "Unprocessable Content";
    case 426:
        return "Upgrade Required";
    case 428:
        return "Precondition Required";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    default:
        return "Status";
    }
}

QByteArray compact(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

// The entity tags of an If-Match / If-None-Match list (RFC 9110 §8.8.3, §13.1): each with its
// weak flag. nullopt when the header is not a list of quoted tags (or "*", returned as one tag
// "*" that is not weak).
struct EntityTag
{
    QByteArray opaque; ///< without quotes
    bool weak = false;
};

std::optional<QList<EntityTag>> parseEntityTags(const QByteArray &header)
{
    QList<EntityTag> tags;
    const QByteArray h = header.trimmed();
    if (h == "*")
        return QList<EntityTag>{EntityTag{"*", false}};
    for (QByteArray item : h.split(',')) {
        item = item.trimmed();
        if (item.isEmpty())
            continue; // RFC 9110 list syntax allows empty elements
        EntityTag t;
        if (item.startsWith("W/")) {
            t.weak = true;
            item = item.mid(2);
        }
        if (item.size() < 2 || !item.startsWith('"') || !item.endsWith('"') ||
            item.mid(1, item.size() - 2).contains('"'))
            return std::nullopt;
        t.opaque = item.mid(1, item.size() - 2);
        tags.append(t);
    }
    if (tags.isEmpty())
        return std::nullopt;
    return tags;
}

// The route a request path belongs to, as the OpenAPI file names it: the only values the
// `route` label of /metrics takes, so a client cannot create series by inventing paths.
} // namespace

TaskServer::TaskServer(ServerOptions options, const Clock &clock, TimerSource &timers,
                       QObject *parent)
    : QAbstractHttpServer(parent), m_options(std::move(options)), m_clock(clock), m_timers(timers),
      m_rng(m_options.seed)
{
    initTaskdResources();
    // A per-process epoch makes cursors from an earlier run of the service expire (410).
    // It comes from the system generator, not the seed, so a restarted service never reuses ids.
    m_epoch = QByteArray::number(QRandomGenerator::system()->generate(), 16);
    WatchHub::Feed feed;
    feed.decode = [this](const QString &c, bool &expired) { return decodeCursor(c, expired); };
    feed.cursor = [this](std::uint64_t seq) { return cursorFor(seq); };
    feed.head = [this] { return m_seq; };
    feed.horizon = [this] { return m_horizon; };
    feed.changes = [this](std::uint64_t since, int limit, std::uint64_t &last, bool &more) {
        return changesSince(since, limit, last, more);
    };
    m_watchHub = new WatchHub(m_options.watch, std::move(feed), this);
    connect(this, &QAbstractHttpServer::newWebSocketConnection, this, [this] {
        while (std::unique_ptr<QWebSocket> ws = nextPendingWebSocketConnection())
            m_watchHub->adopt(ws.release()); // the hub parents it
    });
}

TaskServer::~TaskServer()
{
    for (const TaskRecord &r : std::as_const(m_tasks)) {
        if (r.completion)
            m_timers.cancel(r.completion);
    }
}

QByteArray TaskServer::header(const QHttpServerRequest &request, const char *name) const
{
    for (const auto &[k, v] : request.headers()) {
        if (k.compare(name, Qt::CaseInsensitive) == 0)
            return v.trimmed();
    }
    return {};
}

QByteArray TaskServer::cursorFor(std::uint64_t seq) const
{
    return (m_epoch + '.' + QByteArray::number(qulonglong(seq)))
        .toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

std::optional<std::uint64_t> TaskServer::decodeCursor(const QString &cursor, bool &expired) const
{
    expired = false;
    const QByteArray raw = QByteArray::fromBase64(cursor.toLatin1(), QByteArray::Base64UrlEncoding);
    const qsizetype dot = raw.indexOf('.');
    if (dot <= 0)
        return std::nullopt;
    bool ok = false;
    const std::uint64_t seq = raw.mid(dot + 1).toULongLong(&ok);
    if (!ok)
        return std::nullopt;
    if (raw.left(dot) != m_epoch || seq < m_horizon || seq > m_seq) {
        expired = true;
        return std::nullopt;
    }
    return seq;
}

void TaskServer::applyWatchFaults()
{
    m_watchHub->setDropRate(m_faults.watchDropRate, [this] { return m_rng.nextUnit(); });
    m_watchHub->setSilent(m_faults.watchSilent);
}

void TaskServer::expireCursors()
{
    m_watchHub->changed(); // subscribers below the new horizon get a resync
    m_horizon = m_seq + 1;
    // Every task moves past the horizon so a full snapshot still sees all of them.
    for (auto it = m_tasks.begin(); it != m_tasks.end(); ++it) {
        m_bySeq.erase(it->seq);
        it->seq = ++m_seq;
        m_bySeq[it->seq] = it.key();
    }
}

void TaskServer::touchTask(const QString &id)
{
    if (auto it = m_tasks.find(id); it != m_tasks.end())
        touch(*it);
}

void TaskServer::touch(TaskRecord &r)
{
    m_bySeq.erase(r.seq);
    r.seq = ++m_seq;
    m_bySeq[r.seq] = r.task.id;
    ++r.task.version;
    r.task.updatedAtMs = m_clock.wallNowMs();
    if (m_journal)
        journal(journalRecord(r));
    m_watchHub->changed();
}

QJsonObject TaskServer::journalRecord(const TaskRecord &r) const
{
    QJsonArray attempts;
    for (const RemoteAttempt &a : r.attempts)
        attempts.append(TaskJson::toJson(a));
    return QJsonObject{{QStringLiteral("key"), QStringLiteral("task:") + r.task.id},
                       {QStringLiteral("task"), TaskJson::toJson(r.task)},
                       {QStringLiteral("attempts"), attempts},
                       {QStringLiteral("payload"), r.payload}};
}

void TaskServer::journal(QJsonObject record)
{
    if (!m_journal)
        return;
    m_journalPending.append(std::move(record));
    if (!m_holdJournal)
        flushJournal();
}

void TaskServer::flushJournal()
{
    if (!m_journal || m_journalPending.isEmpty())
        return;
    const auto written = m_journal->append(m_journalPending);
    m_journalPending.clear();
    if (!written)
        qWarning("rebound-taskd: %s", qPrintable(written.error().message));
}

Result<int> TaskServer::openJournal(const QString &path)
{
    TaskJournal::Contents contents;
    auto opened = TaskJournal::open(path, contents);
    if (!opened)
        return opened.error();
    int restored = 0;
    QList<QString> interrupted;
    for (const QJsonObject &rec : std::as_const(contents.records)) {
        const QString key = rec.value(QStringLiteral("key")).toString();
        if (key.startsWith(QLatin1String("fence:"))) {
            m_fences.insert(key.mid(6).toInt(),
                            rec.value(QStringLiteral("revision")).toString().toLongLong());
            continue;
        }
        if (key.startsWith(QLatin1String("idem:"))) {
            IdempotencyEntry e;
            e.inFlight = false;
            e.bodyHash =
                QByteArray::fromBase64(rec.value(QStringLiteral("hash")).toString().toLatin1());
            e.response.status = rec.value(QStringLiteral("status")).toInt();
            e.response.body = rec.value(QStringLiteral("body")).toString().toUtf8();
            e.response.contentType = rec.value(QStringLiteral("contentType")).toString().toUtf8();
            const QJsonObject headers = rec.value(QStringLiteral("headers")).toObject();
            for (auto it = headers.begin(); it != headers.end(); ++it)
                e.response.headers.append(
                    Header{it.key().toUtf8(), it.value().toString().toUtf8()});
            m_idempotency.insert(key.mid(5), e);
            continue;
        }
        auto task = TaskJson::taskFromJson(rec.value(QStringLiteral("task")).toObject(), key);
        if (!task)
            return Error{QStringLiteral("journal-corrupt"), task.error().message};
        TaskRecord r;
        r.task = *task;
        r.payload = rec.value(QStringLiteral("payload"));
        const QJsonArray attempts = rec.value(QStringLiteral("attempts")).toArray();
        for (qsizetype i = 0; i < attempts.size(); ++i) {
            auto a = TaskJson::attemptFromJson(attempts[i].toObject(),
                                               key + QStringLiteral(".attempts[%1]").arg(i));
            if (!a)
                return Error{QStringLiteral("journal-corrupt"), a.error().message};
            r.attempts.append(*a);
        }
        r.seq = ++m_seq;
        m_bySeq[r.seq] = r.task.id;
        if (!r.attempts.isEmpty() && r.attempts.last().outcome == AttemptOutcome::Running)
            interrupted.append(r.task.id);
        m_tasks.insert(r.task.id, r);
        ++restored;
    }
    m_journal = std::move(opened).value();
    // The worker of a running attempt died with the earlier process.
    for (const QString &id : std::as_const(interrupted)) {
        TaskRecord &r = m_tasks[id];
        RemoteAttempt &a = r.attempts.last();
        a.endedAtMs = std::max(a.startedAtMs, m_clock.wallNowMs());
        a.durationMs = *a.endedAtMs - a.startedAtMs;
        a.outcome = AttemptOutcome::Failed;
        a.httpStatus = 503;
        ProblemDetails p;
        p.type = QStringLiteral("urn:rebound:problem:interrupted");
        p.title = QStringLiteral("The service restarted during the attempt");
        p.status = 503;
        a.problem = p;
        r.task.state = RemoteState::Failed;
        r.task.lastAttempt = a;
        touch(r);
    }
    if (contents.skipped > 0)
        qWarning("rebound-taskd: %s: skipped %d unreadable journal line(s)", qPrintable(path),
                 contents.skipped);
    return restored;
}

QString TaskServer::createTask(const QString &type, const QMap<QString, QString> &labels,
                               const QJsonValue &payload, const QString &wantedId)
{
    const QString id = !wantedId.isEmpty()
                           ? wantedId
                           : QStringLiteral("tsk-%1-%2").arg(QString::fromLatin1(m_epoch)).arg(m_nextId++);
    TaskRecord r;
    r.task.id = id;
    r.task.type = type;
    r.task.labels = labels;
    r.task.createdAtMs = m_clock.wallNowMs();
    r.task.version = 0;
    r.payload = payload;
    auto &stored = m_tasks[id] = r;
    touch(stored);
    beginAttempt(stored, AttemptReason::Initial, 0);
    return id;
}

void TaskServer::beginAttempt(TaskRecord &r, AttemptReason reason, std::int64_t deadlineMs)
{
    RemoteAttempt a;
    a.number = r.task.attempt + 1;
    a.startedAtMs = m_clock.wallNowMs();
    a.outcome = AttemptOutcome::Running;
    a.reason = reason;
    a.traceId = QString::fromLatin1(TraceContext::generate(m_rng).traceId);
    r.task.attempt = a.number;
    r.task.state = RemoteState::Running;
    r.task.lastAttempt = a;
    r.attempts.append(a);
    touch(r);
    m_metrics.attemptStarted(r.task.type, reason);

    SimResult sim = m_options.profile.sample(r.task.type, m_rng);
    std::int64_t after = sim.latencyMs;
    if (sim.outcome == SimOutcome::Hang) {
        after = deadlineMs > 0 ? deadlineMs : m_options.hangCapMs;
        sim.outcome = SimOutcome::Timeout;
    } else if (sim.outcome == SimOutcome::Timeout) {
        after = deadlineMs > 0 ? std::min(deadlineMs, std::max(sim.latencyMs * 3, sim.latencyMs))
                               : sim.latencyMs * 3;
    } else if (deadlineMs > 0 && sim.latencyMs > deadlineMs) {
        after = deadlineMs;
        sim.outcome = SimOutcome::Timeout;
    }
    const QString id = r.task.id;
    const int number = a.number;
    r.completion = m_timers.schedule(m_clock.steadyNow() + Duration(after),
                                     [this, id, number, sim] { finishAttempt(id, number, sim); });
}

void TaskServer::finishAttempt(const QString &id, int number, const SimResult &sim)
{
    auto it = m_tasks.find(id);
    if (it == m_tasks.end())
        return;
    TaskRecord &r = *it;
    r.completion = 0;
    if (r.attempts.isEmpty() || r.attempts.last().number != number ||
        r.attempts.last().outcome != AttemptOutcome::Running)
        return;
    RemoteAttempt &a = r.attempts.last();
    a.endedAtMs = m_clock.wallNowMs();
    a.durationMs = *a.endedAtMs - a.startedAtMs;
    switch (sim.outcome) {
    case SimOutcome::Success:
        a.outcome = AttemptOutcome::Succeeded;
        a.httpStatus = 200;
        r.task.state = RemoteState::Succeeded;
        break;
    case SimOutcome::Unavailable:
    case SimOutcome::RateLimited: {
        const bool limited = sim.outcome == SimOutcome::RateLimited;
        a.outcome = AttemptOutcome::Failed;
        a.httpStatus = limited ? 429 : 503;
        if (sim.retryAfterMs >= 0)
            a.retryAfterMs = sim.retryAfterMs;
        ProblemDetails p;
        p.type = limited ? QStringLiteral("urn:rebound:problem:rate-limited")
                         : QStringLiteral("urn:rebound:problem:unavailable");
        p.title = limited ? QStringLiteral("Downstream rate limit")
                          : QStringLiteral("Downstream unavailable");
        p.status = *a.httpStatus;
        a.problem = p;
        r.task.state = RemoteState::Failed;
        break;
    }
    case SimOutcome::Timeout:
    case SimOutcome::Hang:
        a.outcome = AttemptOutcome::Timeout;
        a.httpStatus = 504;
        r.task.state = RemoteState::Failed;
        break;
    case SimOutcome::Business: {
        a.outcome = AttemptOutcome::Failed;
        a.httpStatus = 400;
        ProblemDetails p;
        p.type = sim.problemType;
        p.title = QStringLiteral("Rejected by the downstream service");
        p.status = 400;
        a.problem = p;
        r.task.state = RemoteState::Failed;
        break;
    }
    }
    r.task.lastAttempt = a;
    touch(r);
}

std::optional<RemoteTask> TaskServer::task(const QString &id) const
{
    const auto it = m_tasks.constFind(id);
    if (it == m_tasks.constEnd())
        return std::nullopt;
    return it->task;
}

QList<RemoteAttempt> TaskServer::attempts(const QString &id) const
{
    return m_tasks.value(id).attempts;
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

std::optional<TaskServer::Response> TaskServer::admitFence(const Fence &fence, bool announced)
{
    // A lower revision than the highest announced or carried for the shard comes from an owner
    // that has since lost the shard, and must not act.
    const std::int64_t highest = m_fences.value(fence.shard, 0);
    if (fence.revision < highest) {
        // A late announcement (sent at a claim, overtaken by a newer owner's) acted on
        // nothing: it is counted apart from actions a stale owner tried.
        m_metrics.staleFenceRefused(announced);
        return problem(409, "stale-fence", QStringLiteral("The shard has a newer owner"),
                       QStringLiteral("shard %1: fence %2 is below %3; drop the shard")
                           .arg(fence.shard)
                           .arg(fence.revision)
                           .arg(highest));
    }
    if (fence.revision > highest) {
        m_fences.insert(fence.shard, fence.revision);
        journal(QJsonObject{{QStringLiteral("key"), QStringLiteral("fence:%1").arg(fence.shard)},
                            {QStringLiteral("revision"), QString::number(fence.revision)}});
    }
    return std::nullopt;
}

TaskServer::Response TaskServer::announceFence(const QHttpServerRequest &request)
{
    const auto fence = Fence::fromAnnouncement(request.body());
    if (!fence)
        return problem(400, "bad-request", QStringLiteral("Invalid fence announcement"),
                       fence.error().message);
    if (auto refused = admitFence(*fence, true))
        return *refused;
    Response r;
    r.body = fence->announcement();
    return r;
}

TaskServer::Response TaskServer::problem(int status, const char *type, const QString &title,
                                         const QString &detail) const
{
    ProblemDetails p;
    p.type = QStringLiteral("urn:rebound:problem:") + QLatin1String(type);
    p.title = title;
    p.status = status;
    p.detail = detail;
    Response r;
    r.status = status;
    r.contentType = "application/problem+json";
    r.body = compact(p.toJson());
    return r;
}

TaskServer::Response TaskServer::taskResponse(const TaskRecord &rec, int status) const
{
    Response r;
    r.status = status;
    r.body = compact(TaskJson::toJson(rec.task));
    r.headers.append(Header{"ETag", '"' + QByteArray::number(qint64(rec.task.version)) + '"'});
    return r;
}

bool TaskServer::authorized(const QHttpServerRequest &request) const
{
    if (m_options.noAuth)
        return true;
    const QByteArray auth = header(request, "Authorization");
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
    Response r = problem(401, "unauthorized", QStringLiteral("Missing or wrong bearer token"));
    r.headers.append(Header{"WWW-Authenticate", "Bearer realm=\"rebound-taskd\""});
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
        return answer(problem(404, "not-found", QStringLiteral("No such route"), path));
    if (request.method() != QHttpServerRequest::Method::Get)
        return answer(problem(405, "bad-request", QStringLiteral("Method not allowed")));
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
        return answer(problem(m_faults.failStatus,
                              m_faults.failStatus == 429 ? "rate-limited" : "unavailable",
                              QStringLiteral("Injected failure")));
    }
    if (m_watchHub->full())
        return answer(problem(503, "unavailable", QStringLiteral("Too many watch connections"),
                              QStringLiteral("at most %1 at once; poll GET /v1/tasks meanwhile")
                                  .arg(m_options.watch.maxConnections)));
    m_metrics.answered(path, 101);
    return true;
}

bool TaskServer::handleRequest(const QHttpServerRequest &request, QTcpSocket *socket)
{
    const QString path = request.url().path(QUrl::FullyEncoded);
    if (header(request, "Upgrade").compare("websocket", Qt::CaseInsensitive) == 0)
        return acceptUpgrade(request, socket);
    const bool close = header(request, "Connection").compare("close", Qt::CaseInsensitive) == 0;
    qsizetype headerBytes = 0;
    for (const auto &[k, v] : request.headers())
        headerBytes += k.size() + v.size() + 4;
    if (headerBytes > m_options.maxHeaderBytes) {
        send(socket, path, close,
             problem(431, "bad-request", QStringLiteral("Request headers too large")));
        return true;
    }
    if (request.body().size() > m_options.maxBodyBytes) {
        send(socket, path, close,
             problem(413, "bad-request", QStringLiteral("Request body too large"),
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
        Response r = problem(m_faults.failStatus,
                             m_faults.failStatus == 429 ? "rate-limited" : "unavailable",
                             QStringLiteral("Injected failure"));
        if (!m_faults.retryAfter.isEmpty())
            r.headers.append(Header{"Retry-After", m_faults.retryAfter});
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
        if (auto it = m_idempotency.find(idemKey); !idemKey.isEmpty() && it != m_idempotency.end())
            it->inFlight = false;
        m_metrics.answered(path, 0);
        m_metrics.faultInjected(QStringLiteral("reset-mid-body"));
        socket->write(rawHead(r, false) + r.body.left(r.body.size() / 2));
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
            if (auto it = m_idempotency.find(idemKey); it != m_idempotency.end())
                it->inFlight = false;
            if (guard)
                send(guard, path, close, r);
        });
        return true;
    }
    if (!idemKey.isEmpty()) {
        if (auto it = m_idempotency.find(idemKey); it != m_idempotency.end())
            it->inFlight = false;
    }
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
         problem(404, "not-found", QStringLiteral("No such route")));
}

void TaskServer::send(QTcpSocket *socket, const QString &path, bool close, Response response)
{
    m_metrics.answered(path, response.status);
    if (m_faults.dripMs > 0 && path.startsWith(QLatin1String("/v1/")) && !response.body.isEmpty()) {
        m_metrics.faultInjected(QStringLiteral("drip"));
        // Headers now, then the body one byte at a time: a client without an overall deadline
        // would wait for ever.
        const QByteArray body = response.body;
        socket->write(rawHead(response, false));
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
    writeRaw(socket, response, close);
}

QByteArray TaskServer::rawHead(const Response &r, bool close)
{
    QByteArray raw =
        "HTTP/1.1 " + QByteArray::number(r.status) + ' ' + reasonPhrase(r.status) + "\r\n";
    if (r.status != 304)
        raw += "Content-Type: " + r.contentType + "\r\n";
    raw += "Content-Length: " + QByteArray::number(r.status == 304 ? 0 : r.body.size()) + "\r\n";
    for (const Header &h : r.headers)
        raw += h.name + ": " + h.value + "\r\n";
    if (close)
        raw += "Connection: close\r\n";
    raw += "\r\n";
    return raw;
}

void TaskServer::writeRaw(QTcpSocket *socket, const Response &r, bool close)
{
    QByteArray raw = rawHead(r, close);
    if (r.status != 304)
        raw += r.body;
    socket->write(raw);
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
        return problem(404, "not-found", QStringLiteral("No such route"), path);
    if (!authorized(request)) {
        applyFaults = false;
        return unauthorized();
    }
    if (method == M::Post && TaskdMetrics::routeLabel(path) != QLatin1String("unmatched")) {
        // Bodies are JSON; anything else is refused before it is read as JSON.
        const QByteArray type = header(request, "Content-Type");
        const QByteArray media = type.split(';').first().trimmed().toLower();
        if (media != "application/json") {
            applyFaults = false;
            return problem(415, "unsupported-media-type",
                           QStringLiteral("Request body must be JSON"),
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
                return problem(400, "bad-request", QStringLiteral("Invalid faults"),
                               f ? QStringLiteral("body must be an object") : f.error().message);
            m_faults = *f;
            applyActor();
            applyWatchFaults();
            if (doc.object().value(QStringLiteral("expireCursors")).toBool())
                expireCursors();
        }
        Response r;
        r.body = compact(m_faults.toJson());
        return r;
    }
    if (path == QLatin1String("/admin/profile") && method == M::Post) {
        applyFaults = false;
        auto profile = FailureProfile::fromJson(request.body());
        if (!profile)
            return problem(400, "bad-request", QStringLiteral("Invalid profile"),
                           profile.error().message);
        m_options.profile = *profile;
        Response r;
        r.body = "{}";
        return r;
    }
    if (path == QLatin1String("/v1/health")) {
        Response r;
        r.body = compact(QJsonObject{{QStringLiteral("status"), QStringLiteral("ok")},
                                     {QStringLiteral("tasks"), taskCount()}});
        return r;
    }
    if (path == QLatin1String("/v1/watch")) {
        // Reached only without an Upgrade header (handleRequest takes upgrades first).
        applyFaults = false;
        Response r = problem(426, "upgrade-required",
                             QStringLiteral("/v1/watch is a WebSocket"),
                             QStringLiteral("send a WebSocket upgrade (Upgrade: websocket)"));
        r.headers.append(Header{"Upgrade", "websocket"});
        r.headers.append(Header{"Connection", "Upgrade"});
        return r;
    }
    if (path == QLatin1String("/v1/fences")) {
        if (method == M::Post)
            return announceFence(request);
        return problem(405, "bad-request", QStringLiteral("Method not allowed"));
    }
    if (path == QLatin1String("/v1/tasks")) {
        if (method == M::Get)
            return listTasks(request);
        if (method == M::Post) {
            const QJsonDocument doc = QJsonDocument::fromJson(request.body());
            const QJsonObject o = doc.object();
            const QJsonValue type = o.value(QStringLiteral("type"));
            if (!doc.isObject() || !type.isString() || type.toString().isEmpty() ||
                type.toString().size() > TaskJson::kMaxTypeLength)
                return problem(400, "bad-request", QStringLiteral("Invalid task"),
                               QStringLiteral("type: must be a string of 1–200 characters"));
            QMap<QString, QString> labels;
            const QJsonObject lo = o.value(QStringLiteral("labels")).toObject();
            for (auto it = lo.begin(); it != lo.end(); ++it) {
                if (!it.value().isString())
                    return problem(400, "bad-request", QStringLiteral("Invalid task"),
                                   QStringLiteral("labels.%1: must be a string").arg(it.key()));
                labels.insert(it.key(), it.value().toString());
            }
            const QJsonValue wanted = o.value(QStringLiteral("id"));
            if (!wanted.isUndefined() &&
                (!wanted.isString() || wanted.toString().isEmpty() ||
                 wanted.toString().size() > TaskJson::kMaxIdLength))
                return problem(400, "bad-request", QStringLiteral("Invalid task"),
                               QStringLiteral("id: must be a string of 1–200 characters"));
            if (m_tasks.contains(wanted.toString()))
                return problem(409, "id-in-use", QStringLiteral("The id is taken"),
                               QStringLiteral("id: %1 names a task already").arg(wanted.toString()));
            const QString id = createTask(type.toString(), labels,
                                          o.value(QStringLiteral("payload")), wanted.toString());
            Response r = taskResponse(m_tasks[id], 201);
            r.headers.append(Header{"Location", "/v1/tasks/" + QUrl::toPercentEncoding(id)});
            return r;
        }
        return problem(405, "bad-request", QStringLiteral("Method not allowed"));
    }
    static const QString prefix = QStringLiteral("/v1/tasks/");
    if (path.startsWith(prefix)) {
        // Split as it came (a task id may hold an encoded '/'), then decode the id once.
        const QStringList parts = path.mid(prefix.size()).split(u'/');
        const QString id = QUrl::fromPercentEncoding(parts.value(0).toLatin1());
        const auto it = m_tasks.find(id);
        if (it == m_tasks.end())
            return problem(404, "not-found", QStringLiteral("No such task"), id);
        if (parts.size() == 1 && method == M::Get)
            return taskResponse(*it, 200);
        if (parts.size() == 2 && parts[1] == QLatin1String("attempts") && method == M::Get) {
            QJsonArray arr;
            for (const RemoteAttempt &a : std::as_const(it->attempts))
                arr.append(TaskJson::toJson(a));
            Response r;
            r.body = compact(QJsonObject{{QStringLiteral("attempts"), arr}});
            return r;
        }
        if (parts.size() == 2 && method == M::Post &&
            (parts[1] == QLatin1String("attempts") || parts[1] == QLatin1String("cancel")))
            return postAction(request, id,
                              parts[1] == QLatin1String("cancel") ? Action::Cancel
                                                                  : Action::StartAttempt,
                              0, idemKey);
        if (parts.size() == 4 && parts[1] == QLatin1String("attempts") &&
            parts[3] == QLatin1String("abort")) {
            if (method != M::Post)
                return problem(405, "bad-request", QStringLiteral("Method not allowed"));
            bool ok = false;
            const int n = parts[2].toInt(&ok);
            if (!ok || n < 1 || n > it->task.attempt)
                return problem(404, "not-found", QStringLiteral("No such attempt"),
                               QStringLiteral("task %1 has attempts 1–%2")
                                   .arg(id)
                                   .arg(it->task.attempt));
            return postAction(request, id, Action::AbortAttempt, n, idemKey);
        }
        return problem(405, "bad-request", QStringLiteral("Method not allowed"));
    }
    return problem(404, "not-found", QStringLiteral("No such route"), path);
}

QJsonArray TaskServer::changesSince(std::uint64_t since, int limit, std::uint64_t &last,
                                    bool &more) const
{
    QJsonArray tasks;
    auto it = m_bySeq.upper_bound(since);
    for (int n = 0; it != m_bySeq.end() && n < limit; ++it, ++n) {
        tasks.append(TaskJson::toJson(m_tasks.constFind(it->second)->task));
        last = it->first;
    }
    more = it != m_bySeq.end();
    return tasks;
}

TaskServer::Response TaskServer::listTasks(const QHttpServerRequest &request)
{
    const QUrlQuery q = request.query();
    int limit = 500;
    if (q.hasQueryItem(QStringLiteral("limit"))) {
        bool ok = false;
        limit = q.queryItemValue(QStringLiteral("limit")).toInt(&ok);
        if (!ok || limit < 1 || limit > 1000)
            return problem(400, "bad-request", QStringLiteral("Invalid limit"),
                           QStringLiteral("limit: must be 1–1000"));
    }
    std::uint64_t since = 0;
    const bool hasSince = q.hasQueryItem(QStringLiteral("since"));
    if (hasSince) {
        bool expired = false;
        const auto s =
            decodeCursor(q.queryItemValue(QStringLiteral("since"), QUrl::FullyDecoded), expired);
        if (!s) {
            if (expired)
                return problem(410, "cursor-expired", QStringLiteral("Cursor expired"),
                               QStringLiteral("resync from a full snapshot"));
            return problem(400, "bad-request", QStringLiteral("Invalid cursor"));
        }
        since = *s;
    }
    const QByteArray opaque = m_epoch + '-' + QByteArray::number(qulonglong(m_seq));
    const QByteArray etag = '"' + opaque + '"';
    auto first = m_bySeq.upper_bound(since);
    // If-None-Match compares weakly (RFC 9110 §13.1.2): W/"x" matches "x"; a list matches when
    // any member does; a header that is not a list of entity tags is ignored.
    const auto tags = parseEntityTags(header(request, "If-None-Match"));
    const bool tagMatches =
        tags && std::any_of(tags->begin(), tags->end(), [&](const EntityTag &t) {
            return t.opaque == opaque || (t.opaque == "*" && !t.weak);
        });
    if (hasSince && first == m_bySeq.end() && tagMatches) {
        Response r;
        r.status = 304;
        r.headers.append(Header{"ETag", etag});
        return r;
    }
    std::uint64_t last = since;
    bool more = false;
    const QJsonArray tasks = changesSince(since, limit, last, more);
    Response r;
    r.body = compact(
        QJsonObject{{QStringLiteral("tasks"), tasks},
                    {QStringLiteral("cursor"), QString::fromLatin1(cursorFor(more ? last : m_seq))},
                    {QStringLiteral("more"), more}});
    r.headers.append(Header{"ETag", etag});
    return r;
}

TaskServer::Response TaskServer::postAction(const QHttpServerRequest &request, const QString &id,
                                            Action action, int attemptNumber, QString &idemKey)
{
    // The task's new state and its idempotency entry reach the journal in one write: a kill
    // between the two would leave an attempt whose key a retrying client could not replay.
    m_holdJournal = true;
    const auto release = qScopeGuard([this] {
        m_holdJournal = false;
        flushJournal();
    });
    const QByteArray key = header(request, "Idempotency-Key");
    if (key.isEmpty())
        return problem(400, "idempotency-key-missing",
                       QStringLiteral("Idempotency-Key header required"));
    if (key.size() > 200)
        return problem(400, "bad-request", QStringLiteral("Idempotency-Key too long"));
    const QByteArray ifMatch = header(request, "If-Match");
    if (ifMatch.isEmpty() || ifMatch == "*")
        return problem(428, "precondition-required",
                       QStringLiteral("If-Match with the task's version required"),
                       QStringLiteral("send If-Match: \"<version>\" (\"*\" is not accepted)"));
    const auto ifMatchTags = parseEntityTags(ifMatch);
    if (!ifMatchTags || ifMatchTags->first().opaque == "*")
        return problem(400, "bad-request", QStringLiteral("Invalid If-Match"),
                       QStringLiteral("If-Match: expected the task's version as a quoted entity "
                                      "tag, e.g. If-Match: \"3\""));
    std::optional<Fence> fence;
    if (const QByteArray f = header(request, Fence::kHeader); !f.isEmpty()) {
        auto parsed = Fence::parse(f);
        if (!parsed)
            return problem(400, "bad-request", QStringLiteral("Invalid Rebound-Fence"),
                           parsed.error().message);
        fence = *parsed;
    }
    // Keys are scoped by action (and attempt, for an abort): one key never answers two routes.
    const QString scope = action == Action::Cancel        ? QStringLiteral("cancel")
                          : action == Action::StartAttempt ? QStringLiteral("attempts")
                                                          : QStringLiteral("abort/%1").arg(attemptNumber);
    const QString scoped = scope + u'\n' + id + u'\n' + QString::fromLatin1(key);
    const QByteArray bodyHash =
        QCryptographicHash::hash(request.body(), QCryptographicHash::Sha256);
    if (auto it = m_idempotency.find(scoped); it != m_idempotency.end()) {
        if (it->bodyHash != bodyHash)
            return problem(422, "idempotency-key-reused",
                           QStringLiteral("Idempotency-Key reused with a different body"));
        if (it->inFlight)
            return problem(409, "request-in-flight",
                           QStringLiteral("The original request is still being processed"),
                           QStringLiteral("send the same request again later"));
        m_metrics.replayed();
        Response replay = it->response;
        replay.headers.append(Header{"Idempotent-Replayed", "true"});
        return replay;
    }
    if (fence) {
        if (auto refused = admitFence(*fence, false))
            return *refused;
    }
    TaskRecord &rec = m_tasks[id];
    // If-Match compares strongly (RFC 9110 §13.1.1): a weak tag never matches.
    const QByteArray current = QByteArray::number(qint64(rec.task.version));
    if (std::none_of(ifMatchTags->begin(), ifMatchTags->end(),
                     [&](const EntityTag &t) { return !t.weak && t.opaque == current; }))
        return problem(412, "precondition-failed", QStringLiteral("The task has changed"),
                       QStringLiteral("current version is %1").arg(rec.task.version));
    const QJsonDocument doc = QJsonDocument::fromJson(request.body());
    const QJsonObject o = doc.object();
    if (!doc.isObject())
        return problem(400, "bad-request", QStringLiteral("Body must be a JSON object"));
    Response r;
    if (auto refused = applyAction(rec, action, attemptNumber, o, r))
        return *refused;
    // Only 2xx answers are kept for replay.
    m_idempotency.insert(scoped, IdempotencyEntry{bodyHash, true, r});
    if (m_journal) {
        QJsonObject headers;
        for (const Header &h : std::as_const(r.headers))
            headers.insert(QString::fromUtf8(h.name), QString::fromUtf8(h.value));
        journal(QJsonObject{{QStringLiteral("key"), QStringLiteral("idem:") + scoped},
                            {QStringLiteral("hash"), QString::fromLatin1(bodyHash.toBase64())},
                            {QStringLiteral("status"), r.status},
                            {QStringLiteral("body"), QString::fromUtf8(r.body)},
                            {QStringLiteral("contentType"), QString::fromUtf8(r.contentType)},
                            {QStringLiteral("headers"), headers}});
    }
    idemKey = scoped;
    return r;
}

std::optional<TaskServer::Response> TaskServer::applyAction(TaskRecord &rec, Action action,
                                                           int attemptNumber,
                                                           const QJsonObject &o, Response &r)
{
    const auto endRunning = [&](AttemptOutcome outcome, const QString &type,
                                const QString &title) {
        if (rec.completion) {
            m_timers.cancel(rec.completion);
            rec.completion = 0;
        }
        RemoteAttempt &a = rec.attempts.last();
        a.endedAtMs = m_clock.wallNowMs();
        a.durationMs = *a.endedAtMs - a.startedAtMs;
        a.outcome = outcome;
        ProblemDetails p;
        p.type = type;
        p.title = title;
        a.problem = p;
        rec.task.lastAttempt = a;
    };
    const bool running =
        !rec.attempts.isEmpty() && rec.attempts.last().outcome == AttemptOutcome::Running;
    switch (action) {
    case Action::Cancel: {
        static const QStringList reasons = {QStringLiteral("operator"), QStringLiteral("exhausted"),
                                            QStringLiteral("deadline"),
                                            QStringLiteral("not-retryable")};
        const QString reason = o.value(QStringLiteral("reason")).toString();
        if (!reasons.contains(reason))
            return problem(400, "bad-request", QStringLiteral("Invalid reason"),
                           QStringLiteral("reason: must be one of ") +
                               reasons.join(QStringLiteral(", ")));
        if (rec.task.state == RemoteState::Succeeded || rec.task.state == RemoteState::Cancelled)
            return problem(409, "invalid-state", QStringLiteral("Task cannot be cancelled"),
                           QStringLiteral("state is %1").arg(toText(rec.task.state)));
        if (running)
            endRunning(AttemptOutcome::Failed, QStringLiteral("urn:rebound:problem:cancelled"),
                       QStringLiteral("Cancelled while running"));
        rec.task.state = RemoteState::Cancelled;
        rec.task.cancelReason = reason;
        touch(rec);
        r = taskResponse(rec, 200);
        return std::nullopt;
    }
    case Action::AbortAttempt: {
        const QString reason = o.value(QStringLiteral("reason")).toString();
        if (reason != QLatin1String("timeout") && reason != QLatin1String("operator"))
            return problem(400, "bad-request", QStringLiteral("Invalid reason"),
                           QStringLiteral("reason: must be timeout or operator"));
        if (!running || rec.attempts.last().number != attemptNumber)
            return problem(409, "invalid-state", QStringLiteral("The attempt is not running"),
                           QStringLiteral("attempt %1 has ended; read the task again")
                               .arg(attemptNumber));
        // An aborted attempt ends as a timeout whoever asked: the work did not finish in time
        // (for the client's timeout, or for the operator who gave up on it).
        endRunning(AttemptOutcome::Timeout, QStringLiteral("urn:rebound:problem:aborted"),
                   reason == QLatin1String("timeout") ? QStringLiteral("Aborted: timed out")
                                                       : QStringLiteral("Aborted by an operator"));
        rec.task.state = RemoteState::Failed;
        touch(rec);
        r = taskResponse(rec, 200);
        return std::nullopt;
    }
    case Action::StartAttempt: {
        const auto reason = attemptReasonFromText(o.value(QStringLiteral("reason")).toString());
        if (!reason || *reason == AttemptReason::Initial)
            return problem(400, "bad-request", QStringLiteral("Invalid reason"),
                           QStringLiteral("reason: must be auto or operator"));
        const QJsonValue deadlineValue = o.value(QStringLiteral("deadlineMs"));
        const std::int64_t deadline = deadlineValue.toInteger(0);
        if (!deadlineValue.isUndefined() && (!deadlineValue.isDouble() || deadline < 0))
            return problem(400, "bad-request", QStringLiteral("Invalid deadline"),
                           QStringLiteral("deadlineMs: must be an integer ≥ 0"));
        // A cancelled task can be brought back by an operator (a dead task's "retry now"),
        // never by an automatic retry.
        const bool revive =
            rec.task.state == RemoteState::Cancelled && *reason == AttemptReason::Operator;
        if (rec.task.state != RemoteState::Failed && !revive)
            return problem(409, "invalid-state",
                           *reason == AttemptReason::Operator
                               ? QStringLiteral("Task is neither failed nor cancelled")
                               : QStringLiteral("Task is not in the failed state"),
                           QStringLiteral("state is %1").arg(toText(rec.task.state)));
        rec.task.cancelReason.clear();
        beginAttempt(rec, *reason, deadline);
        r = taskResponse(rec, 202);
        return std::nullopt;
    }
    }
    return problem(500, "internal", QStringLiteral("Unknown action"));
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
    for (auto it = m_tasks.cbegin(); it != m_tasks.cend(); ++it) {
        if (it->task.state == RemoteState::Failed)
            failed << it.key();
    }
    if (failed.isEmpty())
        return;
    const auto i = std::min<qsizetype>(failed.size() - 1,
                                       static_cast<qsizetype>(m_rng.nextUnit() * failed.size()));
    beginAttempt(m_tasks[failed.at(i)], AttemptReason::Auto, 0);
    m_metrics.faultInjected(QStringLiteral("actor"));
}

QByteArray TaskServer::metricsText() const
{
    return m_metrics.text(taskCount(), m_watchHub->connections(), m_watchHub->stats());
}

} // namespace rebound::taskd
