#include "Orchestrator.h"

#include "ErrorClassifier.h"
#include "JsonLog.h"
#include "TaskApi.h"
#include "TaskJson.h"

#include <QJsonObject>
#include <QTimer>

#include <algorithm>
#include <cmath>

namespace rebound {

namespace {

QString stopToCancelReason(StopReason r)
{
    switch (r) {
    case StopReason::Exhausted:
        return QStringLiteral("exhausted");
    case StopReason::DeadlineExceeded:
        return QStringLiteral("deadline");
    case StopReason::NotRetryable:
        return QStringLiteral("not-retryable");
    case StopReason::Cancelled:
        return QStringLiteral("operator");
    }
    return QStringLiteral("operator");
}

Failure failureOf(const RemoteAttempt &a)
{
    Failure f;
    if (a.outcome == AttemptOutcome::Timeout)
        f.transport = TransportError::Timeout;
    f.httpStatus = a.httpStatus.value_or(0);
    f.problem = a.problem;
    if (a.retryAfterMs)
        f.retryAfter = Duration(*a.retryAfterMs);
    return f;
}

bool ended(const RemoteAttempt &a)
{
    return a.outcome != AttemptOutcome::Running;
}

} // namespace

Orchestrator::Orchestrator(PolicyStore &policies, HistoryStore &history, const Clock &clock,
                           TimerSource &timers, RandomSource &rng, QObject *parent)
    : QObject(parent), m_policies(policies), m_history(history), m_clock(clock), m_timers(timers),
      m_rng(rng), m_queue(clock, timers)
{
    m_queue.setHandler([this](const QString &key) { onDue(key); });
    for (const ScheduledRetry &s : m_history.scheduled())
        m_restored.insert(taskKey(s.endpoint, s.taskId), s);
    connect(&m_policies, &PolicyStore::policiesChanged, this, [this](int version) {
        const PolicyVersion v = m_policies.history().last();
        (void)m_history.recordPolicyVersion(version, v.at.toMSecsSinceEpoch(), v.source, v.sha256,
                                            v.content);
    });
    if (!m_policies.history().isEmpty()) {
        const PolicyVersion v = m_policies.history().last();
        (void)m_history.recordPolicyVersion(v.number, v.at.toMSecsSinceEpoch(), v.source, v.sha256,
                                            v.content);
    }
}

Orchestrator::~Orchestrator()
{
    stop();
    (void)m_history.flush();
}

void Orchestrator::stop()
{
    for (Endpoint &e : m_endpoints) {
        e.poller->stop();
        e.client->abortAll();
    }
}

SteadyTime Orchestrator::toSteady(std::int64_t wallMs) const
{
    return m_clock.steadyNow() + Duration(wallMs - m_clock.wallNowMs());
}

Duration Orchestrator::longestWait(const QString &taskType) const
{
    const RetryPolicy &p = m_policies.current()->policyFor(taskType);
    const double backoff = p.backoff.maxDelayMs * std::max(1.0, p.breaker.degradedSlowdown);
    return Duration(
        std::max({static_cast<std::int64_t>(std::ceil(backoff)), p.backoff.maxRetryAfterMs,
                  p.breaker.waitDurationInOpenMs + p.breaker.maxWaitInHalfOpenMs,
                  p.budget.recheckMs, p.health.recheckMs}));
}

SteadyTime Orchestrator::failureEnd(const TrackedTask &t, const RemoteAttempt &a) const
{
    // When this console saw the attempt ended is a safe start for the backoff: a little late
    // (by at most one poll), never early. The server's end time, mapped through this machine's
    // wall clock, is more precise but only as right as the two wall clocks: it is used only
    // when it lies between the moments this console saw the attempt running and saw it ended.
    // A wall-clock jump or a skewed server falls outside that bracket.
    const SteadyTime seenEnded = t.endSeenAttempt == a.number ? t.endSeenAt : m_clock.steadyNow();
    if (t.runningSeenAttempt != a.number)
        return seenEnded;
    const SteadyTime estimate = toSteady(a.endedAtMs.value_or(t.remote.updatedAtMs));
    if (estimate > seenEnded || estimate < t.runningSeenAt)
        return seenEnded;
    return estimate;
}

std::int64_t Orchestrator::toWall(SteadyTime t) const
{
    return m_clock.wallNowMs() + toMs(t - m_clock.steadyNow());
}

void Orchestrator::addEndpoint(const EndpointConfig &config)
{
    const QString key = config.key();
    if (const auto it = m_endpoints.constFind(key); it != m_endpoints.constEnd()) {
        it->client->setCredentials(config.token, config.caCertificates);
        it->poller->reconnect();
        return;
    }
    Endpoint e;
    e.client = new EndpointClient(config, m_clock, m_rng, this);
    e.poller = new EndpointPoller(*e.client, m_clock, m_timers, m_rng, this);
    e.knownAttempts = m_history.knownAttempts(key);
    connect(e.poller, &EndpointPoller::tasksChanged, this,
            [this, key](const QList<RemoteTask> &tasks, bool snapshot) {
                onTasks(key, tasks, snapshot);
            });
    connect(e.poller, &EndpointPoller::statusChanged, this,
            [this, key](const EndpointStatus &s) { Q_EMIT endpointStatusChanged(key, s); });
    m_endpoints.insert(key, e);
    // Requests written down before a crash go out first, unchanged.
    for (const OutboxEntry &o : m_history.outbox()) {
        if (o.endpoint == key)
            sendOutbox(o, {});
    }
    e.poller->start();
}

void Orchestrator::removeEndpoint(const QString &endpoint)
{
    const auto it = m_endpoints.find(endpoint);
    if (it == m_endpoints.end())
        return;
    const Endpoint e = *it;
    // Gone from the table first: the callbacks the aborts below run find no endpoint and stop.
    m_endpoints.erase(it);
    e.poller->stop();
    e.client->abortAll();
    QStringList gone;
    for (auto t = m_tasks.cbegin(); t != m_tasks.cend(); ++t) {
        if ((*t)->endpoint == endpoint)
            gone << t.key();
    }
    if (!gone.isEmpty())
        Q_EMIT tasksAboutToBeRemoved(gone);
    for (const QString &key : std::as_const(gone)) {
        m_queue.cancel(key);
        m_restored.remove(key);
        m_tasks.remove(key);
    }
    const QString prefix = endpoint + u'\n';
    // Task keys start with the endpoint key and a newline: one pass over the pending batch.
    m_pendingChanged.removeIf([&prefix](const QString &k) { return k.startsWith(prefix); });
    for (auto g = m_guards.begin(); g != m_guards.end();)
        g = g.key().startsWith(prefix) ? m_guards.erase(g) : std::next(g);
    e.poller->deleteLater();
    e.client->deleteLater();
    JsonLog::event(
        lcEngine, QtInfoMsg, QStringLiteral("endpoint_removed"),
        {{QStringLiteral("endpoint"), endpoint}, {QStringLiteral("tasks"), gone.size()}});
    Q_EMIT endpointRemoved(endpoint);
}

EndpointPoller *Orchestrator::poller(const QString &endpoint) const
{
    return m_endpoints.value(endpoint).poller;
}

EndpointClient *Orchestrator::client(const QString &endpoint) const
{
    return m_endpoints.value(endpoint).client;
}

const TrackedTask *Orchestrator::task(const QString &endpoint, const QString &taskId) const
{
    const auto it = m_tasks.constFind(taskKey(endpoint, taskId));
    return it == m_tasks.constEnd() ? nullptr : it->get();
}

std::optional<SteadyTime> Orchestrator::nextRetryAt(const QString &endpoint,
                                                    const QString &taskId) const
{
    return m_queue.dueOf(taskKey(endpoint, taskId));
}

Orchestrator::Guards &Orchestrator::guards(const QString &endpoint, const QString &taskType)
{
    const RetryPolicy &p = m_policies.current()->policyFor(taskType);
    const int version = m_policies.history().isEmpty() ? 0 : m_policies.history().last().number;
    Guards &g = m_guards[endpoint + u'\n' + taskType];
    if (!g.breaker) {
        g.breaker = std::make_shared<CircuitBreaker>(p.breaker, m_clock, &m_timers);
        g.health = std::make_shared<HealthMonitor>(p.health, m_clock);
        g.budget = std::make_shared<RetryBudget>(p.budget);
        g.breaker->setListener([this, endpoint, taskType](const BreakerTransition &t) {
            m_history.queueBreakerTransition(endpoint, taskType, t, toWall(t.at));
            JsonLog::event(lcBreaker, QtInfoMsg, QStringLiteral("breaker_transition"),
                           {{QStringLiteral("endpoint"), endpoint},
                            {QStringLiteral("task_type"), taskType},
                            {QStringLiteral("from"), toText(t.from)},
                            {QStringLiteral("to"), toText(t.to)},
                            {QStringLiteral("cause"), t.cause}});
            Q_EMIT breakerTransition(endpoint, taskType, t);
            flush();
        });
    } else if (g.policyVersion != version || g.policyName != p.name) {
        // Hot reload: the next decision uses the new settings.
        g.breaker->reconfigure(p.breaker);
        g.health->reconfigure(p.health);
        g.budget->reconfigure(p.budget);
    }
    g.policyVersion = version;
    g.policyName = p.name;
    return g;
}

BreakerHealth Orchestrator::breakerHealth(const QString &endpoint, const QString &taskType) const
{
    const auto it = m_guards.constFind(endpoint + u'\n' + taskType);
    return it == m_guards.constEnd() ? BreakerHealth::Healthy : it->breaker->health();
}

QList<QPair<QString, QString>> Orchestrator::breakerKeys() const
{
    QList<QPair<QString, QString>> out;
    for (auto it = m_guards.begin(); it != m_guards.end(); ++it)
        out.append({it.key().section(u'\n', 0, 0), it.key().section(u'\n', 1)});
    return out;
}

BreakerMetrics Orchestrator::breakerMetrics(const QString &endpoint, const QString &taskType) const
{
    const auto it = m_guards.constFind(endpoint + u'\n' + taskType);
    return it == m_guards.constEnd() ? BreakerMetrics{} : it->breaker->metrics();
}

int Orchestrator::allowedConcurrentRetries() const
{
    int total = 0;
    for (const Guards &g : m_guards)
        total += g.budget->allowedConcurrentRetries();
    return total;
}

int Orchestrator::maxAttemptsFor(const QString &taskType) const
{
    return m_policies.current()->policyFor(taskType).backoff.maxAttempts;
}

CircuitBreaker *Orchestrator::breaker(const QString &endpoint, const QString &taskType)
{
    return guards(endpoint, taskType).breaker.get();
}

void Orchestrator::emitChanged(const QString &key)
{
    m_pendingChanged << key;
    flush();
}

void Orchestrator::flush()
{
    if (m_flushQueued)
        return;
    m_flushQueued = true;
    // One transaction and one change batch per event-loop turn, however many tasks moved.
    QTimer::singleShot(0, this, [this] {
        m_flushQueued = false;
        if (auto r = m_history.flush(); !r)
            JsonLog::event(lcEngine, QtCriticalMsg, QStringLiteral("history_write_failed"),
                           {{QStringLiteral("cause"), r.error().message}});
        if (!m_pendingChanged.isEmpty()) {
            QStringList keys = m_pendingChanged;
            m_pendingChanged.clear();
            keys.removeDuplicates();
            Q_EMIT tasksUpdated(keys);
        }
    });
}

void Orchestrator::onTasks(const QString &endpoint, const QList<RemoteTask> &tasks, bool)
{
    QStringList changed;
    for (const RemoteTask &remote : tasks) {
        const QString key = taskKey(endpoint, remote.id);
        auto it = m_tasks.find(key);
        if (it == m_tasks.end()) {
            TrackedTask t;
            t.endpoint = endpoint;
            t.remote = remote;
            t.recordedAttempt = 0;
            it = m_tasks.insert(key, std::make_shared<TrackedTask>(std::move(t)));
            // Attempts the history has not seen (e.g. started just before a crash): fetch them all.
            const int known = m_endpoints.value(endpoint).knownAttempts.value(remote.id, 0);
            if (remote.attempt > known + 1)
                fetchAttempts(endpoint, remote.id);
            if (const auto r = m_restored.constFind(key);
                r != m_restored.constEnd() && r->failedAttempt == remote.attempt) {
                (*it)->decidedAttempt = r->failedAttempt;
                (*it)->recordedAttempt = r->failedAttempt;
            }
        }
        observe(**it, remote, changed);
    }
    m_pendingChanged += changed;
    flush();
}

void Orchestrator::observe(TrackedTask &t, const RemoteTask &remote, QStringList &changed)
{
    const QString key = taskKey(t.endpoint, remote.id);
    // Versions only grow: an older copy (a replayed answer, a slow resync) must not roll back
    // what a newer poll already showed.
    if (remote.version < t.remote.version)
        return;
    const bool gap = remote.attempt > t.remote.attempt + 1 && t.remote.attempt > 0;
    const SteadyTime now = m_clock.steadyNow();
    if (t.firstSeenAt == SteadyTime{}) {
        t.firstSeenAt = now;
        t.createdAt = std::min(now, toSteady(remote.createdAtMs));
    }
    if (remote.lastAttempt) {
        const int n = remote.lastAttempt->number;
        if (!ended(*remote.lastAttempt) && t.runningSeenAttempt != n) {
            t.runningSeenAttempt = n;
            t.runningSeenAt = now;
        } else if (ended(*remote.lastAttempt) && t.endSeenAttempt != n) {
            t.endSeenAttempt = n;
            t.endSeenAt = now;
        }
    }
    t.remote = remote;
    changed << key;
    if (gap)
        fetchAttempts(t.endpoint, remote.id); // attempts happened between two polls
    if (remote.lastAttempt)
        recordAttempts(t, {*remote.lastAttempt});

    switch (remote.state) {
    case RemoteState::Succeeded:
    case RemoteState::Cancelled:
        if (m_queue.cancel(key) || m_restored.remove(key))
            m_history.queueUnschedule(t.endpoint, remote.id);
        break;
    case RemoteState::Failed:
        if (m_restored.contains(key)) {
            const ScheduledRetry s = m_restored.take(key);
            if (s.failedAttempt == remote.attempt) {
                // Resume the retry scheduled before a restart at its original time — bounded
                // by what the policy could ever have asked for, since the time on disk is wall
                // time: a clock that jumped back (or a database from another machine) must not
                // hold a retry for hours.
                const SteadyTime now = m_clock.steadyNow();
                m_queue.schedule(
                    key, std::clamp(toSteady(s.dueWallMs), now, now + longestWait(remote.type)));
                t.decidedAttempt = remote.attempt;
                break;
            }
            m_history.queueUnschedule(t.endpoint, remote.id);
        }
        if (t.decidedAttempt < remote.attempt && !t.actionInFlight && remote.lastAttempt &&
            ended(*remote.lastAttempt))
            decide(t);
        break;
    case RemoteState::Pending:
    case RemoteState::Running:
        if (m_queue.cancel(key))
            m_history.queueUnschedule(t.endpoint, remote.id); // someone else started it
        break;
    }
}

void Orchestrator::recordAttempts(TrackedTask &t, const QList<RemoteAttempt> &attempts)
{
    for (const RemoteAttempt &a : attempts) {
        m_history.queueAttempt(AttemptFacts{t.endpoint, t.remote.id, t.remote.type, a});
        if (ended(a) && a.number > t.recordedAttempt) {
            feedGuards(t, a);
            t.recordedAttempt = a.number;
        }
    }
}

void Orchestrator::feedGuards(TrackedTask &t, const RemoteAttempt &a)
{
    Guards &g = guards(t.endpoint, t.remote.type);
    const RetryPolicy &p = m_policies.current()->policyFor(t.remote.type);
    const Classification c = ErrorClassifier::classify(failureOf(a), p.classification);
    const bool succeeded = a.outcome == AttemptOutcome::Succeeded;
    // A business error says nothing about the dependency's health.
    const bool dependencyFailed = !succeeded && c.errorClass != ErrorClass::Business;
    const Duration duration(a.durationMs.value_or(0));
    g.breaker->record(dependencyFailed ? CallOutcome::Failure : CallOutcome::Success, duration);
    g.health->record(dependencyFailed, duration, a.outcome == AttemptOutcome::Timeout);
    if (a.reason != AttemptReason::Initial)
        g.budget->attemptFinished(true, succeeded);
}

void Orchestrator::decide(TrackedTask &t)
{
    const QString key = taskKey(t.endpoint, t.remote.id);
    const RemoteAttempt &a = *t.remote.lastAttempt;
    const std::shared_ptr<const PolicySet> set = m_policies.current();
    const RetryPolicy &p = set->policyFor(t.remote.type);
    Guards &g = guards(t.endpoint, t.remote.type);
    if (!t.backoff || t.policyName != p.name || t.policyVersion != g.policyVersion)
        t.backoff.emplace(p.backoff);
    t.policyName = p.name;
    t.policyVersion = g.policyVersion;

    RetryContext ctx;
    ctx.classification = ErrorClassifier::classify(failureOf(a), p.classification);
    ctx.attemptsMade = t.remote.attempt;
    ctx.firstAttemptStart = t.createdAt;
    ctx.failedAttemptEnd = failureEnd(t, a);
    if (a.retryAfterMs)
        ctx.retryAfter = Duration(*a.retryAfterMs);
    ctx.cancelled = t.remote.state == RemoteState::Cancelled;
    ctx.paused = m_paused.contains(t.remote.type);
    const SteadyTime now = m_clock.steadyNow();
    const RetryDecision d =
        RetryDecider::decide(ctx, p, *t.backoff, m_rng,
                             RetryGates{g.breaker.get(), g.budget.get(), g.health.get()}, now);
    t.lastDecision = d;
    t.decidedAt = now;

    AttemptDecision rec;
    rec.endpoint = t.endpoint;
    rec.taskId = t.remote.id;
    rec.attempt = a.number;
    rec.errorClass = ctx.classification.errorClass;
    rec.policy = p.name;
    rec.policyVersion = g.policyVersion;
    QJsonObject log{{QStringLiteral("endpoint"), t.endpoint},
                    {QStringLiteral("task_id"), t.remote.id},
                    {QStringLiteral("attempt"), a.number},
                    {QStringLiteral("cause"), ctx.classification.reason},
                    {QStringLiteral("trace_id"), a.traceId},
                    {QStringLiteral("policy"), p.name},
                    {QStringLiteral("decision"), describe(d, now)}};

    if (const auto *r = std::get_if<RetryPlan>(&d)) {
        rec.delayMs = r->delay.count();
        rec.jitter = r->jitter;
        if (r->retryAfter && r->retryAfterUsed)
            rec.retryAfterMs = r->retryAfter->count();
        t.decidedAttempt = a.number;
        m_queue.schedule(key, r->at);
        m_history.queueSchedule(ScheduledRetry{t.endpoint, t.remote.id, a.number, toWall(r->at),
                                               QStringLiteral("retry")});
        log.insert(QStringLiteral("delay_ms"), qint64(r->delay.count()));
        JsonLog::event(lcEngine, QtInfoMsg, QStringLiteral("retry_scheduled"), log);
    } else if (const auto *f = std::get_if<DeferPlan>(&d)) {
        rec.deferReason = toText(f->reason);
        // Not decided: looked at again when the recheck time comes (or on resume).
        if (f->recheckAt) {
            m_queue.schedule(key, *f->recheckAt);
            m_history.queueSchedule(ScheduledRetry{t.endpoint, t.remote.id, a.number,
                                                   toWall(*f->recheckAt), QStringLiteral("defer")});
        }
        JsonLog::event(lcEngine, QtInfoMsg, QStringLiteral("retry_deferred"), log);
    } else {
        const StopReason reason = std::get<StopPlan>(d).reason;
        rec.stopReason = reason;
        t.decidedAttempt = a.number;
        JsonLog::event(lcEngine, QtInfoMsg, QStringLiteral("retries_stopped"), log);
        stopTask(t, reason);
    }
    m_history.queueDecision(rec);
    emitChanged(key);
}

void Orchestrator::onDue(const QString &key)
{
    auto it = m_tasks.find(key);
    if (it == m_tasks.end())
        return;
    TrackedTask &t = **it;
    if (t.remote.state != RemoteState::Failed || t.actionInFlight)
        return;
    if (t.lastDecision && std::holds_alternative<DeferPlan>(*t.lastDecision)) {
        decide(t); // a deferral ran out: decide again
        return;
    }
    if (m_readOnly) {
        m_queue.schedule(key, m_clock.steadyNow() + Duration(5000));
        return;
    }
    Guards &g = guards(t.endpoint, t.remote.type);
    // The breaker is asked last: a permit it hands out must become a call.
    if (m_paused.contains(t.remote.type) || !g.budget->canRetry() || !g.breaker->tryAcquire()) {
        decide(t); // conditions changed since scheduling: defer with the right reason
        return;
    }
    startAttempt(t, AttemptReason::Auto, {});
}

void Orchestrator::startAttempt(TrackedTask &t, AttemptReason reason, Done done)
{
    const QString action = reason == AttemptReason::Operator ? QStringLiteral("attempt-operator")
                                                             : QStringLiteral("attempt");
    OutboxEntry e;
    e.endpoint = t.endpoint;
    e.taskId = t.remote.id;
    e.action = action;
    e.attemptNumber = t.remote.attempt;
    e.idempotencyKey = TaskApi::idempotencyKey(t.endpoint, t.remote.id, t.remote.attempt, action);
    e.body = TaskApi::attemptBody(toText(reason));
    e.ifMatch = t.remote.version;
    if (auto r = m_history.putOutbox(e); !r) {
        // Without the outbox a crash could double the attempt: do not send.
        if (done)
            done(r.error());
        return;
    }
    guards(t.endpoint, t.remote.type).budget->attemptStarted(true);
    t.actionInFlight = true;
    sendOutbox(e, std::move(done));
}

void Orchestrator::stopTask(TrackedTask &t, StopReason reason)
{
    const QString key = taskKey(t.endpoint, t.remote.id);
    m_queue.cancel(key);
    m_history.queueUnschedule(t.endpoint, t.remote.id);
    Q_EMIT taskStopped(t.endpoint, t.remote.id, reason);
    if (m_readOnly || t.remote.state == RemoteState::Cancelled)
        return;
    OutboxEntry e;
    e.endpoint = t.endpoint;
    e.taskId = t.remote.id;
    e.action = QStringLiteral("cancel");
    e.attemptNumber = t.remote.attempt;
    e.idempotencyKey = TaskApi::idempotencyKey(t.endpoint, t.remote.id, t.remote.attempt, e.action);
    e.body = TaskApi::cancelBody(stopToCancelReason(reason));
    e.ifMatch = t.remote.version;
    if (!m_history.putOutbox(e))
        return;
    t.actionInFlight = true;
    sendOutbox(e, {});
}

void Orchestrator::sendOutbox(const OutboxEntry &e, Done done, int tries)
{
    const auto it = m_endpoints.constFind(e.endpoint);
    if (it == m_endpoints.constEnd())
        return;
    const ApiRequest req =
        e.action == QLatin1String("cancel")
            ? TaskApi::cancel(e.taskId, e.ifMatch, e.idempotencyKey, e.body)
            : TaskApi::startAttempt(e.taskId, e.ifMatch, e.idempotencyKey, e.body);
    it->client->send(
        req, [this, e, done, tries](const ApiResponse &r) { onActionAnswer(e, r, done, tries); });
}

void Orchestrator::onActionAnswer(const OutboxEntry &e, const ApiResponse &r, Done done, int tries)
{
    const QString key = taskKey(e.endpoint, e.taskId);
    TrackedTask *t = m_tasks.contains(key) ? m_tasks.value(key).get() : nullptr;
    const QString type = r.problemType();
    const auto finish = [&](Result<void> result) {
        if (t)
            t->actionInFlight = false;
        (void)m_history.removeOutbox(e.endpoint, e.idempotencyKey);
        if (done)
            done(result);
    };
    if (r.isSuccess()) {
        auto task = TaskJson::decodeTask(r.body);
        finish({});
        if (task && t)
            onTasks(e.endpoint, {*task}, false);
        if (auto *p = poller(e.endpoint))
            p->poke();
        return;
    }
    // Refused before anything was done (overload, in flight, transport): send the same again.
    const bool sendAgain = r.transport != TransportError::None || r.status == 429 ||
                           r.status == 503 || r.status == 502 || r.status == 504 ||
                           type == QLatin1String("urn:rebound:problem:request-in-flight");
    if (sendAgain && tries < 50) {
        const auto paused = client(e.endpoint) ? client(e.endpoint)->pausedUntil() : std::nullopt;
        const Duration wait =
            paused ? *paused - m_clock.steadyNow()
                   : Duration(std::min<std::int64_t>(30'000, 500LL << std::min(tries, 6)));
        m_timers.schedule(m_clock.steadyNow() + wait,
                          [this, e, done, tries] { sendOutbox(e, done, tries + 1); });
        return;
    }
    QString message;
    if (r.status == 412)
        message = QStringLiteral("Someone else changed this task first (it is now at a newer "
                                 "version); it has been refreshed.");
    else if (r.status == 409)
        message = QStringLiteral(
            "The server refused: the task is no longer in a state that allows this.");
    else if (r.status == 404)
        message = QStringLiteral("The task no longer exists on the server.");
    else
        message = QStringLiteral("The server refused the request: %1").arg(r.describe());
    JsonLog::event(lcEngine, QtWarningMsg, QStringLiteral("action_refused"),
                   {{QStringLiteral("endpoint"), e.endpoint},
                    {QStringLiteral("task_id"), e.taskId},
                    {QStringLiteral("attempt"), e.attemptNumber},
                    {QStringLiteral("cause"), r.describe()}});
    if (t)
        t->lastError = message;
    if (t && e.action != QLatin1String("cancel")) {
        Guards &g = guards(e.endpoint, t->remote.type);
        g.budget->attemptFinished(true, false);
        g.breaker->releasePermit(); // no attempt started: no probe will report
    }
    finish(Error{QStringLiteral("refused-%1").arg(r.status), message});
    Q_EMIT notice(e.endpoint, e.taskId, message);
    // Never retry blindly after a refusal: read the task again and decide from what is there.
    resync(e.endpoint, e.taskId);
}

void Orchestrator::resync(const QString &endpoint, const QString &taskId)
{
    if (auto *c = client(endpoint)) {
        c->send(TaskApi::getTask(taskId), [this, endpoint, taskId](const ApiResponse &r) {
            if (!r.isSuccess())
                return;
            auto task = TaskJson::decodeTask(r.body);
            if (!task)
                return;
            if (TrackedTask *t = m_tasks.contains(taskKey(endpoint, taskId))
                                     ? m_tasks.value(taskKey(endpoint, taskId)).get()
                                     : nullptr) {
                // A refusal for the attempt we decided on: let the decision be made afresh.
                if (task->attempt == t->decidedAttempt && task->state == RemoteState::Failed &&
                    !m_queue.dueOf(taskKey(endpoint, taskId)))
                    t->decidedAttempt = task->attempt - 1;
            }
            onTasks(endpoint, {*task}, false);
        });
    }
}

void Orchestrator::fetchAttempts(const QString &endpoint, const QString &taskId)
{
    if (auto *c = client(endpoint)) {
        c->send(TaskApi::getAttempts(taskId), [this, endpoint, taskId](const ApiResponse &r) {
            if (!r.isSuccess())
                return;
            auto attempts = TaskJson::decodeAttempts(r.body);
            const auto it = m_tasks.find(taskKey(endpoint, taskId));
            if (!attempts || it == m_tasks.end())
                return;
            for (const RemoteAttempt &a : *attempts)
                m_history.queueAttempt(AttemptFacts{endpoint, taskId, (*it)->remote.type, a});
            flush();
        });
    }
}

void Orchestrator::retryNow(const QString &endpoint, const QString &taskId, Done done)
{
    const auto fail = [&](const QString &why) {
        if (done)
            done(Error{QStringLiteral("refused"), why});
    };
    if (m_readOnly)
        return fail(QStringLiteral("Rebound is in read-only mode."));
    auto it = m_tasks.find(taskKey(endpoint, taskId));
    if (it == m_tasks.end())
        return fail(QStringLiteral("Unknown task."));
    if ((*it)->remote.state != RemoteState::Failed)
        return fail(QStringLiteral("Only a failed task can be retried (this one is %1).")
                        .arg(toText((*it)->remote.state)));
    if ((*it)->actionInFlight)
        return fail(QStringLiteral("A request for this task is already on its way."));
    // Skips the wait, not the safety: still If-Match and an idempotency key.
    if (m_queue.cancel(taskKey(endpoint, taskId)))
        m_history.queueUnschedule(endpoint, taskId);
    (*it)->decidedAttempt = (*it)->remote.attempt;
    startAttempt(**it, AttemptReason::Operator, std::move(done));
}

void Orchestrator::cancelRetries(const QString &endpoint, const QString &taskId, Done done)
{
    if (m_readOnly) {
        if (done)
            done(Error{QStringLiteral("refused"), QStringLiteral("Rebound is in read-only mode.")});
        return;
    }
    auto it = m_tasks.find(taskKey(endpoint, taskId));
    if (it == m_tasks.end()) {
        if (done)
            done(Error{QStringLiteral("refused"), QStringLiteral("Unknown task.")});
        return;
    }
    TrackedTask &t = **it;
    if (t.remote.state == RemoteState::Succeeded || t.remote.state == RemoteState::Cancelled) {
        if (done)
            done(Error{QStringLiteral("refused"),
                       QStringLiteral("The task is already %1.").arg(toText(t.remote.state))});
        return;
    }
    m_queue.cancel(taskKey(endpoint, taskId));
    m_history.queueUnschedule(endpoint, taskId);
    t.decidedAttempt = t.remote.attempt;
    OutboxEntry e;
    e.endpoint = endpoint;
    e.taskId = taskId;
    e.action = QStringLiteral("cancel");
    e.attemptNumber = t.remote.attempt;
    e.idempotencyKey = TaskApi::idempotencyKey(endpoint, taskId, t.remote.attempt,
                                               QStringLiteral("cancel-operator"));
    e.body = TaskApi::cancelBody(QStringLiteral("operator"));
    e.ifMatch = t.remote.version;
    if (auto r = m_history.putOutbox(e); !r) {
        if (done)
            done(r.error());
        return;
    }
    t.actionInFlight = true;
    sendOutbox(e, std::move(done));
    flush();
}

void Orchestrator::setPaused(const QString &taskType, bool paused)
{
    if (paused) {
        m_paused.insert(taskType);
        return;
    }
    if (!m_paused.remove(taskType))
        return;
    // Decide again every task that was deferred because of the pause.
    for (const auto &p : std::as_const(m_tasks)) {
        TrackedTask &t = *p;
        if (t.remote.type == taskType && t.remote.state == RemoteState::Failed && t.lastDecision &&
            std::holds_alternative<DeferPlan>(*t.lastDecision) && !t.actionInFlight)
            decide(t);
    }
}

void Orchestrator::commandBreaker(const QString &endpoint, const QString &taskType,
                                  BreakerCommand command)
{
    CircuitBreaker &b = *guards(endpoint, taskType).breaker;
    switch (command) {
    case BreakerCommand::ForceOpen:
        b.forceOpen();
        break;
    case BreakerCommand::Reset:
        b.reset();
        break;
    case BreakerCommand::Disable:
        b.disable();
        break;
    }
}

} // namespace rebound
