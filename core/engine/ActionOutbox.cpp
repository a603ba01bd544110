#include "engine/ActionOutbox.h"

#include "remote/Fence.h"

#include "remote/TaskApi.h"
#include "support/JsonLog.h"

namespace rebound {

namespace {

constexpr int kMaxResends = 50;

} // namespace

ActionOutbox::ActionOutbox(HistoryStore &history, const Clock &clock, TimerSource &timers,
                           RandomSource &rng, TransportOf transportOf)
    : m_history(history), m_clock(clock), m_timers(timers), m_rng(rng),
      m_transportOf(std::move(transportOf))
{}

ActionOutbox::~ActionOutbox()
{
    for (TimerId id : std::as_const(m_resends))
        m_timers.cancel(id);
}

BackoffConfig ActionOutbox::resendBackoff()
{
    BackoffConfig c;
    c.initialDelayMs = 500;
    c.multiplier = 2;
    c.maxDelayMs = 30'000;
    // Equal jitter: consoles refused together spread out, and none re-sends at once.
    c.jitter = JitterMode::Equal;
    c.maxAttempts = kMaxResends + 1;
    return c;
}

OutboxEntry ActionOutbox::make(const QString &endpoint, const RemoteTask &task, ActionKind kind,
                               int attemptNumber, const ActionDetails &details)
{
    // `action` is what the outbox row says (and what a resumed entry is sent as); `keyName`
    // feeds the idempotency key, so an operator's cancel never replays a policy's.
    QString action;
    QString keyName;
    QByteArray body;
    switch (kind) {
    case ActionKind::Attempt:
        action = keyName = QStringLiteral("attempt");
        body = TaskApi::attemptBody(QStringLiteral("auto"), details.deadlineMs);
        break;
    case ActionKind::OperatorAttempt:
        action = keyName = QStringLiteral("attempt-operator");
        body = TaskApi::attemptBody(QStringLiteral("operator"), details.deadlineMs);
        break;
    case ActionKind::Cancel:
        action = keyName = QStringLiteral("cancel");
        body = TaskApi::cancelBody(details.cancelReason);
        break;
    case ActionKind::OperatorCancel:
        action = QStringLiteral("cancel");
        keyName = QStringLiteral("cancel-operator");
        body = TaskApi::cancelBody(QStringLiteral("operator"));
        break;
    case ActionKind::AbortTimeout:
        action = QStringLiteral("abort");
        keyName = QStringLiteral("abort-timeout");
        body = TaskApi::abortBody(QStringLiteral("timeout"));
        break;
    case ActionKind::AbortOperator:
        action = QStringLiteral("abort");
        keyName = QStringLiteral("abort-operator");
        body = TaskApi::abortBody(QStringLiteral("operator"));
        break;
    }
    OutboxEntry e;
    e.endpoint = endpoint;
    e.taskId = task.id;
    e.action = action;
    e.attemptNumber = attemptNumber;
    e.idempotencyKey = TaskApi::idempotencyKey(endpoint, task.id, attemptNumber, keyName);
    e.body = body;
    e.ifMatch = task.version;
    return e;
}

Result<void> ActionOutbox::submit(const OutboxEntry &entry, Answered answered)
{
    if (auto r = m_history.putOutbox(entry); !r)
        return r.error();
    send(entry, std::move(answered), std::make_shared<BackoffSequence>(resendBackoff()), 0);
    return {};
}

void ActionOutbox::resume(const QString &endpoint, const Answered &answered)
{
    for (const OutboxEntry &o : m_history.outbox()) {
        if (o.endpoint == endpoint)
            send(o, answered, std::make_shared<BackoffSequence>(resendBackoff()), 0);
    }
}

void ActionOutbox::send(const OutboxEntry &e, Answered answered,
                        std::shared_ptr<BackoffSequence> backoff, int tries)
{
    TaskTransport *transport = m_transportOf(e.endpoint);
    if (!transport)
        return; // the endpoint is gone; the entry stays for when it comes back
    transport->send(request(e), [this, e, answered = std::move(answered), backoff,
                                 tries](const ApiResponse &r) {
        // Refused before anything was done (overload, in flight, transport): the same again.
        const bool sendAgain =
            r.transport != TransportError::None || r.status == 429 || r.status == 502 ||
            r.status == 503 || r.status == 504 ||
            r.problemType() == QLatin1String("urn:rebound:problem:request-in-flight");
        if (sendAgain && tries < kMaxResends) {
            TaskTransport *t = m_transportOf(e.endpoint);
            const auto paused = t ? t->pausedUntil() : std::nullopt;
            const SteadyTime now = m_clock.steadyNow();
            const Duration wait =
                paused && *paused > now
                    ? *paused - now
                    : Duration(static_cast<std::int64_t>(backoff->next(m_rng).delayMs));
            auto id = std::make_shared<TimerId>(0);
            *id = m_timers.schedule(now + wait, [this, e, answered, backoff, tries, id] {
                m_resends.remove(*id);
                send(e, answered, backoff, tries + 1);
            });
            m_resends.insert(*id);
            return;
        }
        // Answered: no longer to be sent after a crash. A failure to clear it means a restart
        // sends it again, which its idempotency key makes harmless; it is said.
        if (auto cleared = m_history.removeOutbox(e.endpoint, e.idempotencyKey); !cleared)
            JsonLog::event(lcEngine, QtWarningMsg, QStringLiteral("outbox_clear_failed"),
                           {{QStringLiteral("task_id"), e.taskId},
                            {QStringLiteral("cause"), cleared.error().message}});
        if (answered)
            answered(e, r);
    });
}

ApiRequest ActionOutbox::request(const OutboxEntry &e)
{
    ApiRequest r =
        e.action == QLatin1String("cancel")
            ? TaskApi::cancel(e.taskId, e.ifMatch, e.idempotencyKey, e.body)
        : e.action == QLatin1String("abort")
            ? TaskApi::abortAttempt(e.taskId, e.attemptNumber, e.ifMatch, e.idempotencyKey, e.body)
            : TaskApi::startAttempt(e.taskId, e.ifMatch, e.idempotencyKey, e.body);
    if (!e.fence.isEmpty())
        r.headers.append({Fence::kHeader, e.fence});
    return r;
}

QString ActionOutbox::refusal(const OutboxEntry &e, const ApiResponse &r)
{
    QString message;
    if (r.status == 412)
        message = QStringLiteral("Someone else changed this task first (it is now at a newer "
                                 "version); it has been refreshed.");
    else if (r.status == 409)
        message = e.action == QLatin1String("abort")
                      ? QStringLiteral("The attempt had already ended; the task has been "
                                       "refreshed.")
                      : QStringLiteral("The server refused: the task is no longer in a state "
                                       "that allows this.");
    else if (r.status == 404)
        message = QStringLiteral("The task no longer exists on the server.");
    else
        message = QStringLiteral("The server refused the request: %1").arg(r.describe());
    JsonLog::event(lcEngine, QtWarningMsg, QStringLiteral("action_refused"),
                   {{QStringLiteral("endpoint"), e.endpoint},
                    {QStringLiteral("task_id"), e.taskId},
                    {QStringLiteral("action"), e.action},
                    {QStringLiteral("attempt"), e.attemptNumber},
                    {QStringLiteral("cause"), r.describe()}});
    return message;
}

} // namespace rebound
