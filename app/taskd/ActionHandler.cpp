#include "ActionHandler.h"

#include "EntityTag.h"
#include "TaskBackend.h"
#include "TaskStore.h"
#include "TaskdMetrics.h"
#include "decision/ProblemDetails.h"

#include <QCryptographicHash>
#include <QJsonDocument>
#include <QScopeGuard>

#include <algorithm>

namespace rebound::taskd {

ActionHandler::ActionHandler(TaskStore &store, TaskBackend &backend, BeginAttempt begin,
                             TaskdMetrics &metrics, const Clock &clock)
    : m_store(store), m_backend(backend), m_begin(std::move(begin)), m_metrics(metrics),
      m_clock(clock)
{}

bool ActionHandler::restore(const QString &key, const QJsonObject &rec)
{
    if (key.startsWith(QLatin1String("fence:"))) {
        m_fences.insert(key.mid(6).toInt(),
                        rec.value(QStringLiteral("revision")).toString().toLongLong());
        return true;
    }
    if (!key.startsWith(QLatin1String("idem:")))
        return false;
    IdempotencyEntry e;
    e.inFlight = false;
    e.bodyHash = QByteArray::fromBase64(rec.value(QStringLiteral("hash")).toString().toLatin1());
    e.response.status = rec.value(QStringLiteral("status")).toInt();
    e.response.body = rec.value(QStringLiteral("body")).toString().toUtf8();
    e.response.contentType = rec.value(QStringLiteral("contentType")).toString().toUtf8();
    const QJsonObject headers = rec.value(QStringLiteral("headers")).toObject();
    for (auto it = headers.begin(); it != headers.end(); ++it)
        e.response.headers.append(
            HttpAnswer::Header{it.key().toUtf8(), it.value().toString().toUtf8()});
    m_idempotency.insert(key.mid(5), e);
    return true;
}

void ActionHandler::answered(const QString &idemKey)
{
    if (auto it = m_idempotency.find(idemKey); !idemKey.isEmpty() && it != m_idempotency.end())
        it->inFlight = false;
}

std::optional<HttpAnswer> ActionHandler::admitFence(const Fence &fence, bool announced)
{
    // A lower revision than the highest announced or carried for the shard comes from an owner
    // that has since lost the shard, and must not act.
    const std::int64_t highest = m_fences.value(fence.shard, 0);
    if (fence.revision < highest) {
        // A late announcement (sent at a claim, overtaken by a newer owner's) acted on
        // nothing: it is counted apart from actions a stale owner tried.
        m_metrics.staleFenceRefused(announced);
        return HttpAnswer::problem(409, "stale-fence",
                                   QStringLiteral("The shard has a newer owner"),
                                   QStringLiteral("shard %1: fence %2 is below %3; drop the shard")
                                       .arg(fence.shard)
                                       .arg(fence.revision)
                                       .arg(highest));
    }
    if (fence.revision > highest) {
        m_fences.insert(fence.shard, fence.revision);
        m_store.journal(
            QJsonObject{{QStringLiteral("key"), QStringLiteral("fence:%1").arg(fence.shard)},
                        {QStringLiteral("revision"), QString::number(fence.revision)}});
    }
    return std::nullopt;
}

HttpAnswer ActionHandler::announceFence(const QByteArray &body)
{
    const auto fence = Fence::fromAnnouncement(body);
    if (!fence)
        return HttpAnswer::problem(400, "bad-request", QStringLiteral("Invalid fence announcement"),
                                   fence.error().message);
    if (auto refused = admitFence(*fence, true))
        return *refused;
    HttpAnswer r;
    r.body = fence->announcement();
    return r;
}

HttpAnswer ActionHandler::act(const Request &request, const QString &id, Action action,
                              int attemptNumber, QString &idemKey)
{
    using P = HttpAnswer;
    // The task's new state and its idempotency entry reach the journal in one write: a kill
    // between the two would leave an attempt whose key a retrying client could not replay.
    m_store.hold();
    const auto release = qScopeGuard([this] { m_store.release(); });
    const QByteArray &key = request.idempotencyKey;
    if (key.isEmpty())
        return P::problem(400, "idempotency-key-missing",
                          QStringLiteral("Idempotency-Key header required"));
    if (key.size() > 200)
        return P::problem(400, "bad-request", QStringLiteral("Idempotency-Key too long"));
    const QByteArray &ifMatch = request.ifMatch;
    if (ifMatch.isEmpty() || ifMatch == "*")
        return P::problem(428, "precondition-required",
                          QStringLiteral("If-Match with the task's version required"),
                          QStringLiteral("send If-Match: \"<version>\" (\"*\" is not accepted)"));
    const auto ifMatchTags = EntityTag::parseList(ifMatch);
    if (!ifMatchTags || ifMatchTags->first().opaque == "*")
        return P::problem(400, "bad-request", QStringLiteral("Invalid If-Match"),
                          QStringLiteral("If-Match: expected the task's version as a quoted "
                                         "entity tag, e.g. If-Match: \"3\""));
    std::optional<Fence> fence;
    if (!request.fence.isEmpty()) {
        auto parsed = Fence::parse(request.fence);
        if (!parsed)
            return P::problem(400, "bad-request", QStringLiteral("Invalid Rebound-Fence"),
                              parsed.error().message);
        fence = *parsed;
    }
    // Keys are scoped by action (and attempt, for an abort): one key never answers two routes.
    const QString scope = action == Action::Cancel ? QStringLiteral("cancel")
                          : action == Action::StartAttempt
                              ? QStringLiteral("attempts")
                              : QStringLiteral("abort/%1").arg(attemptNumber);
    const QString scoped = scope + u'\n' + id + u'\n' + QString::fromLatin1(key);
    const QByteArray bodyHash = QCryptographicHash::hash(request.body, QCryptographicHash::Sha256);
    if (auto it = m_idempotency.find(scoped); it != m_idempotency.end()) {
        if (it->bodyHash != bodyHash)
            return P::problem(422, "idempotency-key-reused",
                              QStringLiteral("Idempotency-Key reused with a different body"));
        if (it->inFlight)
            return P::problem(409, "request-in-flight",
                              QStringLiteral("The original request is still being processed"),
                              QStringLiteral("send the same request again later"));
        m_metrics.replayed();
        HttpAnswer replay = it->response;
        replay.headers.append(HttpAnswer::Header{"Idempotent-Replayed", "true"});
        return replay;
    }
    if (fence) {
        if (auto refused = admitFence(*fence, false))
            return *refused;
    }
    TaskRecord &rec = *m_store.find(id);
    // If-Match compares strongly (RFC 9110 §13.1.1): a weak tag never matches.
    const QByteArray current = QByteArray::number(qint64(rec.task.version));
    if (std::none_of(ifMatchTags->begin(), ifMatchTags->end(),
                     [&](const EntityTag &t) { return !t.weak && t.opaque == current; }))
        return P::problem(412, "precondition-failed", QStringLiteral("The task has changed"),
                          QStringLiteral("current version is %1").arg(rec.task.version));
    const QJsonDocument doc = QJsonDocument::fromJson(request.body);
    if (!doc.isObject())
        return P::problem(400, "bad-request", QStringLiteral("Body must be a JSON object"));
    HttpAnswer r;
    if (auto refused = apply(rec, action, attemptNumber, doc.object(), r))
        return *refused;
    // Only 2xx answers are kept for replay.
    m_idempotency.insert(scoped, IdempotencyEntry{bodyHash, true, r});
    if (m_store.journaling()) {
        QJsonObject headers;
        for (const HttpAnswer::Header &h : std::as_const(r.headers))
            headers.insert(QString::fromUtf8(h.name), QString::fromUtf8(h.value));
        m_store.journal(
            QJsonObject{{QStringLiteral("key"), QStringLiteral("idem:") + scoped},
                        {QStringLiteral("hash"), QString::fromLatin1(bodyHash.toBase64())},
                        {QStringLiteral("status"), r.status},
                        {QStringLiteral("body"), QString::fromUtf8(r.body)},
                        {QStringLiteral("contentType"), QString::fromUtf8(r.contentType)},
                        {QStringLiteral("headers"), headers}});
    }
    idemKey = scoped;
    return r;
}

void ActionHandler::endRunning(TaskRecord &rec, AttemptOutcome outcome, const QString &type,
                               const QString &title)
{
    m_backend.stop(rec.task.id);
    RemoteAttempt &a = rec.attempts.last();
    a.endedAtMs = m_clock.wallNowMs();
    a.durationMs = *a.endedAtMs - a.startedAtMs;
    a.outcome = outcome;
    ProblemDetails p;
    p.type = type;
    p.title = title;
    a.problem = p;
    rec.task.lastAttempt = a;
}

std::optional<HttpAnswer> ActionHandler::apply(TaskRecord &rec, Action action, int attemptNumber,
                                               const QJsonObject &o, HttpAnswer &r)
{
    using P = HttpAnswer;
    const bool running =
        !rec.attempts.isEmpty() && rec.attempts.last().outcome == AttemptOutcome::Running;
    switch (action) {
    case Action::Cancel: {
        static const QStringList reasons = {QStringLiteral("operator"), QStringLiteral("exhausted"),
                                            QStringLiteral("deadline"),
                                            QStringLiteral("not-retryable")};
        const QString reason = o.value(QStringLiteral("reason")).toString();
        if (!reasons.contains(reason))
            return P::problem(400, "bad-request", QStringLiteral("Invalid reason"),
                              QStringLiteral("reason: must be one of ") +
                                  reasons.join(QStringLiteral(", ")));
        if (rec.task.state == RemoteState::Succeeded || rec.task.state == RemoteState::Cancelled)
            return P::problem(409, "invalid-state", QStringLiteral("Task cannot be cancelled"),
                              QStringLiteral("state is %1").arg(toText(rec.task.state)));
        if (running)
            endRunning(rec, AttemptOutcome::Failed, QStringLiteral("urn:rebound:problem:cancelled"),
                       QStringLiteral("Cancelled while running"));
        rec.task.state = RemoteState::Cancelled;
        rec.task.cancelReason = reason;
        m_store.touch(rec);
        r = HttpAnswer::task(rec.task, 200);
        return std::nullopt;
    }
    case Action::AbortAttempt: {
        const QString reason = o.value(QStringLiteral("reason")).toString();
        if (reason != QLatin1String("timeout") && reason != QLatin1String("operator"))
            return P::problem(400, "bad-request", QStringLiteral("Invalid reason"),
                              QStringLiteral("reason: must be timeout or operator"));
        if (!running || rec.attempts.last().number != attemptNumber)
            return P::problem(
                409, "invalid-state", QStringLiteral("The attempt is not running"),
                QStringLiteral("attempt %1 has ended; read the task again").arg(attemptNumber));
        // An aborted attempt ends as a timeout whoever asked: the work did not finish in time
        // (for the client's timeout, or for the operator who gave up on it).
        endRunning(rec, AttemptOutcome::Timeout, QStringLiteral("urn:rebound:problem:aborted"),
                   reason == QLatin1String("timeout") ? QStringLiteral("Aborted: timed out")
                                                      : QStringLiteral("Aborted by an operator"));
        rec.task.state = RemoteState::Failed;
        m_store.touch(rec);
        r = HttpAnswer::task(rec.task, 200);
        return std::nullopt;
    }
    case Action::StartAttempt: {
        const auto reason = attemptReasonFromText(o.value(QStringLiteral("reason")).toString());
        if (!reason || *reason == AttemptReason::Initial)
            return P::problem(400, "bad-request", QStringLiteral("Invalid reason"),
                              QStringLiteral("reason: must be auto or operator"));
        const QJsonValue deadlineValue = o.value(QStringLiteral("deadlineMs"));
        const std::int64_t deadline = deadlineValue.toInteger(0);
        if (!deadlineValue.isUndefined() && (!deadlineValue.isDouble() || deadline < 0))
            return P::problem(400, "bad-request", QStringLiteral("Invalid deadline"),
                              QStringLiteral("deadlineMs: must be an integer ≥ 0"));
        // A cancelled task can be brought back by an operator (a dead task's "retry now"),
        // never by an automatic retry.
        const bool revive =
            rec.task.state == RemoteState::Cancelled && *reason == AttemptReason::Operator;
        if (rec.task.state != RemoteState::Failed && !revive)
            return P::problem(409, "invalid-state",
                              *reason == AttemptReason::Operator
                                  ? QStringLiteral("Task is neither failed nor cancelled")
                                  : QStringLiteral("Task is not in the failed state"),
                              QStringLiteral("state is %1").arg(toText(rec.task.state)));
        m_begin(rec, *reason, deadline);
        r = HttpAnswer::task(rec.task, 202);
        return std::nullopt;
    }
    }
    return P::problem(500, "internal", QStringLiteral("Unknown action"));
}

} // namespace rebound::taskd
