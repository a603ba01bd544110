#include "engine/Orchestrator.h"

#include "decision/ErrorClassifier.h"
#include "remote/EndpointClient.h"
#include "remote/TaskApi.h"
#include "remote/TaskJson.h"
#include "support/JsonLog.h"

#include <QJsonObject>
#include <QMetaMethod>
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

} // namespace

Orchestrator::Orchestrator(PolicyStore &policies, HistoryStore &history, const Clock &clock,
                           TimerSource &timers, RandomSource &rng, TransportFactory transports,
                           QObject *parent)
    : EngineView(parent), m_policies(policies), m_history(history), m_clock(clock),
      m_timers(timers), m_rng(rng), m_transports(std::move(transports)),
      m_guards(policies, clock, timers),
      m_outbox(history, clock, timers, rng,
               [this](const QString &endpoint) { return transport(endpoint); }),
      m_reader(
          clock, timers, [this](const QString &endpoint) { return transport(endpoint); },
          [this](const QString &endpoint, const RemoteTask &task) { onReread(endpoint, task); },
          [this](const QString &endpoint, const QString &taskId,
                 const QList<RemoteAttempt> &attempts) {
              if (TrackedTask *t = find(taskKey(endpoint, taskId))) {
                  for (const RemoteAttempt &a : attempts)
                      m_history.queueAttempt(AttemptFacts{endpoint, taskId, t->remote.type, a});
                  flush();
              }
              for (const AttemptsDone &done : m_attemptWaiters.take(taskKey(endpoint, taskId)))
                  done(attempts);
          },
          [this](const QString &endpoint, const QString &taskId, const QString &why) {
              for (const AttemptsDone &done : m_attemptWaiters.take(taskKey(endpoint, taskId)))
                  done(Error{QStringLiteral("attempts_unread"),
                             QStringLiteral("could not read the attempts of %1 at %2: %3")
                                 .arg(taskId, endpoint, why)});
          }),
      m_fenceAnnouncer(
          [this] {
              QList<std::shared_ptr<TaskTransport>> out;
              for (const Endpoint &e : std::as_const(m_endpoints))
                  out << e.transport;
              return out;
          },
          [this](const Fence &f) {
              if (m_ownership.staleFence)
                  m_ownership.staleFence(f);
          }),
      m_watch(clock, timers), m_book(clock), m_journal(history, m_book, m_metrics, m_tracer),
      m_scheduler(policies, m_guards, m_book, m_journal, history, clock, timers, rng,
                  {[this](TrackedTask &t) { startAttempt(t, AttemptReason::Auto, {}); },
                   [this](TrackedTask &t, StopReason r) { stopTask(t, r); },
                   [this](TrackedTask &t) {
                       updateLifecycle(t);
                       emitChanged(t);
                   },
                   [this] { return m_readOnly; },
                   [this](const TrackedTask &t) { return owns(t.endpoint, t.remote.id); }})
{
    if (!m_transports) {
        m_transports = [this](const EndpointConfig &config) -> std::unique_ptr<TaskTransport> {
            return std::make_unique<EndpointClient>(config, m_clock, m_rng);
        };
    }
    m_watch.setHandler([this](const QString &key) { onOverrun(key); });
    m_guards.setTransitionListener([this](const GuardKey &k, const BreakerTransition &t) {
        m_journal.breaker(k, t);
        Q_EMIT breakerTransition(k.endpoint, k.taskType, t);
        flush();
    });
    connect(&m_policies, &PolicyStore::policiesChanged, this, [this](int) {
        recordPolicyVersion();
        // New rules may lift what held a deferred task (a bigger budget, a higher health line,
        // a breaker that may not open): each is decided again under them, now.
        m_scheduler.wake(
            {DeferReason::BreakerOpen, DeferReason::BudgetExhausted, DeferReason::Unhealthy},
            [](const TrackedTask &) { return true; });
    });
    if (!m_policies.history().isEmpty())
        recordPolicyVersion();
}

Orchestrator::~Orchestrator()
{
    stop();
    if (m_flushTimer) // the timers outlive this engine: its flush must not run after it
        m_timers.cancel(m_flushTimer);
    if (auto r = m_history.flush(); !r) // what is lost here is said, not dropped
        JsonLog::event(lcEngine, QtCriticalMsg, QStringLiteral("history_write_failed"),
                       {{QStringLiteral("cause"), r.error().message}});
}

void Orchestrator::recordPolicyVersion()
{
    const PolicyVersion v = m_policies.history().last();
    if (auto r = m_history.recordPolicyVersion(v.number, v.at.toMSecsSinceEpoch(), v.source,
                                               v.sha256, v.content);
        !r)
        JsonLog::event(lcEngine, QtCriticalMsg, QStringLiteral("history_write_failed"),
                       {{QStringLiteral("policy_version"), v.number},
                        {QStringLiteral("cause"), r.error().message}});
}

void Orchestrator::stop()
{
    m_reader.stop();
    for (const auto &waiting : std::exchange(m_attemptWaiters, {}))
        for (const AttemptsDone &done : waiting)
            done(Error{QStringLiteral("engine_stopped"),
                       QStringLiteral("the engine stopped before the attempts were read")});
    for (Endpoint &e : m_endpoints) {
        e.poller->stop();
        e.transport->abortAll();
    }
}

void Orchestrator::addEndpoint(const EndpointConfig &config)
{
    const QString key = config.key();
    if (const auto it = m_endpoints.constFind(key); it != m_endpoints.constEnd()) {
        it->transport->setCredentials(config.token, config.caCertificates);
        it->poller->reconnect();
        return;
    }
    Endpoint e;
    e.transport = m_transports(config);
    e.poller = new EndpointPoller(*e.transport, m_clock, m_timers, m_rng, this);
    e.knownAttempts = m_history.knownAttempts(key);
    e.requeues = m_history.requeues(key);
    connect(e.poller, &EndpointPoller::tasksChanged, this,
            [this, key](const QList<RemoteTask> &tasks, bool snapshot) {
                onTasks(key, tasks, snapshot);
            });
    connect(e.poller, &EndpointPoller::statusChanged, this,
            [this, key, was = EndpointStatus::State::Connected](const EndpointStatus &s) mutable {
                // The service answers again: reads that failed while it was away go now, not
                // after their backoff (which grew while it was away).
                if (s.state == EndpointStatus::State::Connected && was != s.state)
                    m_reader.endpointBack(key);
                was = s.state;
                Q_EMIT endpointStatusChanged(key, s);
            });
    connect(e.poller, &EndpointPoller::pageAnswered, this,
            [this, key](Duration elapsed) { m_metrics.pollAnswered(key, elapsed); });
    m_endpoints.insert(key, e);
    if (m_ownership.held) // shards held already: this endpoint hears of them before anything
        m_fenceAnnouncer.announceTo(e.transport, m_ownership.held());
    // Requests written down before a crash go out first, unchanged.
    m_outbox.resume(
        key, [this](const OutboxEntry &o, const ApiResponse &r) { onActionAnswer(o, r, {}); });
    e.poller->start();
    Q_EMIT endpointsChanged();
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
    e.transport->abortAll();
    const QStringList gone = m_book.keysOf(endpoint);
    if (!gone.isEmpty())
        Q_EMIT rowsAboutToBeRemoved(gone);
    // The pending batch must not name tasks about to be deleted.
    m_pendingChanged.removeIf(
        [&endpoint](const TrackedTask *t) { return t->endpoint == endpoint; });
    for (const QString &key : std::as_const(gone)) {
        m_scheduler.forget(key);
        m_watch.cancel(key);
        m_reader.forget(endpoint, m_book.find(key)->remote.id);
        for (const AttemptsDone &done : m_attemptWaiters.take(key))
            done(Error{QStringLiteral("endpoint_removed"),
                       QStringLiteral("%1 is no longer watched").arg(endpoint)});
        m_book.remove(key);
    }
    m_guards.removeEndpoint(endpoint);
    e.poller->deleteLater();
    // Callbacks of aborted requests may still be queued: the transport dies after them.
    QTimer::singleShot(0, this, [transport = e.transport] { (void)transport; });
    JsonLog::event(
        lcEngine, QtInfoMsg, QStringLiteral("endpoint_removed"),
        {{QStringLiteral("endpoint"), endpoint}, {QStringLiteral("tasks"), gone.size()}});
    Q_EMIT endpointRemoved(endpoint);
    Q_EMIT endpointsChanged();
}

EndpointPoller *Orchestrator::poller(const QString &endpoint) const
{
    return m_endpoints.value(endpoint).poller;
}

TaskTransport *Orchestrator::transport(const QString &endpoint) const
{
    const auto it = m_endpoints.constFind(endpoint);
    return it == m_endpoints.constEnd() ? nullptr : it->transport.get();
}

QList<TaskRow> Orchestrator::rows() const
{
    QList<TaskRow> out;
    out.reserve(m_book.size());
    m_book.forEach([&](const TrackedTask &t) { out << TaskRow::of(t); });
    std::sort(out.begin(), out.end(),
              [](const TaskRow &a, const TaskRow &b) { return a.serial < b.serial; });
    return out;
}

std::optional<TaskRow> Orchestrator::row(const QString &key) const
{
    const TrackedTask *t = m_book.find(key);
    return t ? std::optional<TaskRow>(TaskRow::of(*t)) : std::nullopt;
}

EngineView::Timeline Orchestrator::timeline(const QString &endpoint, const QString &taskId) const
{
    return {m_history.attempts(endpoint, taskId), m_history.lifecycle(endpoint, taskId)};
}

void Orchestrator::attempts(const QString &endpoint, const QString &taskId, AttemptsDone done)
{
    if (!m_endpoints.contains(endpoint)) {
        done(Error{QStringLiteral("endpoint_unknown"),
                   QStringLiteral("%1 is not watched").arg(endpoint)});
        return;
    }
    m_attemptWaiters[taskKey(endpoint, taskId)] << std::move(done);
    m_reader.readAttempts(endpoint, taskId);
}

const TrackedTask *Orchestrator::task(const QString &endpoint, const QString &taskId) const
{
    return m_book.find(endpoint, taskId);
}

std::optional<SteadyTime> Orchestrator::nextRetryAt(const QString &endpoint,
                                                    const QString &taskId) const
{
    const TrackedTask *t = task(endpoint, taskId);
    return t ? dueOf(*t) : std::nullopt;
}

std::optional<SteadyTime> Orchestrator::dueOf(const TrackedTask &t) const
{
    if (t.foreign && t.foreign->attempt == t.remote.attempt)
        return t.foreign->due;
    return m_scheduler.dueOf(t.key);
}

std::optional<SharedDecision> Orchestrator::sharedDecision(const TrackedTask &t) const
{
    if (!owns(t.endpoint, t.remote.id))
        return std::nullopt;
    return shareDecision(t, m_ownership.member, m_scheduler.dueOf(t.key), m_book);
}

void Orchestrator::adopt(const SharedDecision &d)
{
    TrackedTask *t = m_book.find(d.endpoint, d.taskId);
    if (!t || owns(t->endpoint, t->remote.id) || d.attempt < t->remote.attempt)
        return;
    t->foreign = adoptDecision(d, m_book);
    updateLifecycle(*t);
    emitChanged(*t);
}

void Orchestrator::withdraw(const QString &endpoint, const QString &taskId, const QString &member)
{
    TrackedTask *t = m_book.find(endpoint, taskId);
    if (!t || !t->foreign || t->foreign->member != member)
        return;
    t->foreign.reset();
    updateLifecycle(*t);
    emitChanged(*t);
}

std::optional<SteadyTime> Orchestrator::attemptTimeoutAt(const QString &endpoint,
                                                         const QString &taskId) const
{
    return m_watch.dueOf(taskKey(endpoint, taskId));
}

QList<QPair<QString, QString>> Orchestrator::breakerKeys() const
{
    QList<QPair<QString, QString>> out;
    for (const GuardKey &k : m_guards.keys())
        out.append({k.endpoint, k.taskType});
    return out;
}

int Orchestrator::maxAttemptsFor(const QString &taskType) const
{
    return m_policies.current()->policyFor(taskType).backoff.maxAttempts;
}

void Orchestrator::markChanged(TrackedTask &t)
{
    // Each task once per batch, without a hash: the task carries its own mark.
    if (!std::exchange(t.changePending, true))
        m_pendingChanged << &t;
}

void Orchestrator::emitChanged(TrackedTask &t)
{
    markChanged(t);
    flush();
}

void Orchestrator::flush()
{
    if (m_flushTimer)
        return;
    // One transaction and one change batch per turn, however many tasks moved: due now on the
    // engine's timers (the event loop's next turn on Qt's; a manual clock's next advance).
    m_flushTimer = m_timers.schedule(m_clock.steadyNow(), [this] {
        m_flushTimer = 0;
        // Budgets freed this turn let held tasks go now, after the batch that freed them is
        // applied (never from inside another task's decision).
        for (const GuardKey &k : std::exchange(m_budgetFreed, {}))
            m_scheduler.budgetFreed(k);
        const int writes = m_history.pendingWrites();
        const SteadyTime began = m_clock.steadyNow();
        auto r = m_history.flush();
        if (writes > 0)
            m_metrics.historyWrite(m_clock.steadyNow() - began, writes);
        if (!r)
            JsonLog::event(lcEngine, QtCriticalMsg, QStringLiteral("history_write_failed"),
                           {{QStringLiteral("cause"), r.error().message}});
        if (!m_pendingChanged.isEmpty()) {
            QList<const TrackedTask *> tasks;
            tasks.reserve(m_pendingChanged.size());
            for (TrackedTask *t : std::exchange(m_pendingChanged, {})) {
                t->changePending = false;
                tasks << t;
            }
            Q_EMIT tasksUpdated(tasks);
            // Rows are made only for a view that listens (a headless engine has none).
            static const QMetaMethod rowsSignal = QMetaMethod::fromSignal(&EngineView::rowsUpdated);
            if (isSignalConnected(rowsSignal)) {
                QList<TaskRow> rows;
                rows.reserve(tasks.size());
                for (const TrackedTask *t : std::as_const(tasks))
                    rows << TaskRow::of(*t);
                Q_EMIT rowsUpdated(rows);
            }
        }
    });
}

void Orchestrator::onTasks(const QString &endpoint, const QList<RemoteTask> &tasks, bool snapshot,
                           bool reread)
{
    const auto ep = m_endpoints.find(endpoint);
    // Attempts this batch shows as begun began after the endpoint's previous complete answer.
    const std::optional<SteadyTime> lastBatch =
        ep != m_endpoints.end() ? ep->poller->status().lastCompleteAt : std::nullopt;
    for (const RemoteTask &remote : tasks) {
        bool added = false;
        TrackedTask *t = &m_book.obtain(endpoint, remote, added);
        // Idempotent by (id, version): a copy already seen — push and a poll both carrying a
        // change, a replay after reconnecting, a resync's snapshot — changes nothing. Only the
        // answer to an action and a re-read after a refusal look at the same version again.
        if (!added && !reread && remote.version == t->remote.version)
            continue;
        if (added) {
            // Attempts the history has not seen (made before this console looked, or started
            // just before a crash): fetch them all — at once for a task that appeared while
            // watching, paced behind everything else for one a snapshot brought.
            const int known = ep == m_endpoints.end() ? 0 : ep->knownAttempts.value(remote.id, 0);
            if (remote.attempt > known + 1)
                m_reader.readAttempts(endpoint, remote.id,
                                      snapshot ? TaskReader::Priority::Backfill
                                               : TaskReader::Priority::Now);
            m_scheduler.adopt(*t);
            // Brought back by an operator before a restart: the fresh allowance still holds.
            if (const auto r = ep == m_endpoints.end()
                                   ? std::nullopt
                                   : std::optional(ep->requeues.value(remote.id));
                r && r->first > 0 && remote.attempt >= r->first) {
                t->allowanceBase = r->first - 1;
                t->allowanceStart = std::min(m_clock.steadyNow(), m_book.toSteady(r->second));
                t->requeuedByOperator = true;
            }
        }
        observe(*t, remote, lastBatch);
    }
    flush();
}

void Orchestrator::observe(TrackedTask &t, const RemoteTask &remote,
                           std::optional<SteadyTime> lastBatch)
{
    const auto seen = m_book.see(t, remote, lastBatch);
    if (!seen)
        return;
    markChanged(t);
    if (remote.lastAttempt)
        watch(t, *remote.lastAttempt, seen->notRunningAt);
    // Fetch attempts that began or ended between two looks, so the history has every one.
    if (seen->missedAttempts)
        m_reader.readAttempts(t.endpoint, remote.id);
    if (remote.lastAttempt)
        recordAttempts(t, {*remote.lastAttempt});

    // What happened on the service first (an attempt began or ended), then what this console
    // decides about it: two moves of the lifecycle, each with its own cause.
    updateLifecycle(t);
    m_scheduler.observed(t);
    updateLifecycle(t);
}

void Orchestrator::updateLifecycle(TrackedTask &t)
{
    const auto moved = TaskBook::advance(t, dueOf(t), m_clock.steadyNow());
    if (!moved)
        m_journal.illegalTransition(t, moved.error());
    else if (*moved)
        m_journal.transition(t, **moved);
}

void Orchestrator::watch(TrackedTask &t, const RemoteAttempt &a,
                         std::optional<SteadyTime> notRunningAt)
{
    const QString &key = t.key;
    if (a.ended()) {
        if (t.watchedAttempt == a.number)
            m_watch.cancel(key);
        return;
    }
    if (t.watchedAttempt == a.number)
        return;
    // The attempt's timeout counts from its start on the service, as far as this console can
    // know it (TaskBook::attemptStart), plus a grace for a service that ends it itself.
    const SteadyTime start = m_book.attemptStart(a, notRunningAt);
    const Duration timeout = t.deadlineSentAttempt == a.number
                                 ? t.deadlineSent
                                 : m_guards.attemptTimeout({t.endpoint, t.remote.type});
    t.watchedAttempt = a.number;
    t.attemptStartAt = start;
    t.attemptTimeout = timeout;
    m_watch.schedule(key, std::max(m_clock.steadyNow(), start + timeout + kAbortGrace));
}

void Orchestrator::onOverrun(const QString &key)
{
    TrackedTask *t = find(key);
    if (!t || !t->remote.lastAttempt || t->remote.lastAttempt->ended() ||
        t->remote.lastAttempt->number != t->watchedAttempt)
        return;
    if (m_readOnly || !owns(t->endpoint, t->remote.id))
        return; // its owner ends it (ownershipChanged re-arms the timeout of a task gained)
    if (t->actionInFlight) {
        m_watch.schedule(key, m_clock.steadyNow() + Duration(1000));
        return;
    }
    const int n = t->watchedAttempt;
    JsonLog::event(lcEngine, QtInfoMsg, QStringLiteral("attempt_timed_out"),
                   {{QStringLiteral("endpoint"), t->endpoint},
                    {QStringLiteral("task_id"), t->remote.id},
                    {QStringLiteral("attempt"), n},
                    {QStringLiteral("timeout_ms"), qint64(t->attemptTimeout.count())},
                    {QStringLiteral("trace_id"), t->remote.lastAttempt->traceId}});
    OutboxEntry e = ActionOutbox::make(t->endpoint, t->remote, ActionKind::AbortTimeout, n);
    if (fence(*t, e))
        submit(*t, e, {});
}

void Orchestrator::recordAttempts(TrackedTask &t, const QList<RemoteAttempt> &attempts)
{
    for (const RemoteAttempt &a : attempts) {
        m_history.queueAttempt(AttemptFacts{t.endpoint, t.remote.id, t.remote.type, a});
        if (a.ended() && a.number > t.recordedAttempt) {
            m_guards.recordEnded(
                {t.endpoint, t.remote.type},
                EndedCall{failureOf(a), a.outcome == AttemptOutcome::Succeeded,
                          a.outcome == AttemptOutcome::Timeout,
                          a.durationMs ? std::optional(Duration(*a.durationMs)) : std::nullopt,
                          a.reason != AttemptReason::Initial, a.reason == AttemptReason::Auto},
                t.deadlineSentAttempt == a.number);
            m_metrics.attemptEnded(t.endpoint, t.remote.type, a.outcome);
            m_tracer.attemptEnded(t, a);
            t.recordedAttempt = a.number;
            if (a.reason != AttemptReason::Initial)
                m_budgetFreed.insert({t.endpoint, t.remote.type});
        }
    }
}

void Orchestrator::startAttempt(TrackedTask &t, AttemptReason reason, Done done)
{
    // The attempt carries its timeout: a service that honours deadlineMs ends it by itself.
    const Duration timeout = m_guards.attemptTimeout({t.endpoint, t.remote.type});
    ActionDetails details;
    details.deadlineMs = timeout.count();
    OutboxEntry e = ActionOutbox::make(
        t.endpoint, t.remote,
        reason == AttemptReason::Operator ? ActionKind::OperatorAttempt : ActionKind::Attempt,
        t.remote.attempt, details);
    // An operator's retry goes straight to the service; the engine's own carries the fence.
    if (reason == AttemptReason::Auto && !fence(t, e)) {
        guards(t).breaker->releasePermit();
        return;
    }
    t.deadlineSentAttempt = t.remote.attempt + 1;
    t.deadlineSent = timeout;
    guards(t).budget->attemptStarted(true);
    submit(t, e, std::move(done));
}

void Orchestrator::stopTask(TrackedTask &t, StopReason reason)
{
    Q_EMIT taskStopped(t.endpoint, t.remote.id, reason);
    if (m_readOnly || t.remote.state == RemoteState::Cancelled)
        return;
    ActionDetails details;
    details.cancelReason = stopToCancelReason(reason);
    OutboxEntry e =
        ActionOutbox::make(t.endpoint, t.remote, ActionKind::Cancel, t.remote.attempt, details);
    if (fence(t, e))
        submit(t, e, {});
}

bool Orchestrator::fence(const TrackedTask &t, OutboxEntry &e) const
{
    if (!m_ownership.fenceOf)
        return true;
    const auto f = m_ownership.fenceOf(t.endpoint, t.remote.id);
    if (!f)
        return false;
    e.fence = f->text();
    return true;
}

void Orchestrator::setOwnership(Ownership ownership)
{
    m_ownership = std::move(ownership);
}

void Orchestrator::ownershipChanged()
{
    const SteadyTime now = m_clock.steadyNow();
    m_book.forEach([&](TrackedTask &t) {
        if (!owns(t.endpoint, t.remote.id)) {
            // Lost: the retry this member scheduled is the new owner's to decide now.
            if (m_scheduler.unschedule(t)) {
                t.decidedAttempt = std::min(t.decidedAttempt, t.remote.attempt - 1);
                t.lastDecision.reset();
                updateLifecycle(t);
                markChanged(t);
            }
            return;
        }
        // Gained: decide what is undecided, and watch a running attempt's timeout again.
        if (t.foreign) { // the previous owner's decision is this member's to make now
            t.foreign.reset();
            updateLifecycle(t);
            markChanged(t);
        }
        if (t.remote.lastAttempt && !t.remote.lastAttempt->ended() &&
            t.watchedAttempt == t.remote.lastAttempt->number && !m_watch.dueOf(t.key))
            m_watch.schedule(t.key,
                             std::max(now, t.attemptStartAt + t.attemptTimeout + kAbortGrace));
        if (t.remote.state == RemoteState::Failed && !m_scheduler.dueOf(t.key)) {
            m_scheduler.observed(t);
            updateLifecycle(t);
            markChanged(t);
        }
    });
    flush();
}

void Orchestrator::submit(TrackedTask &t, const OutboxEntry &e, Done done)
{
    auto written = m_outbox.submit(e, [this, done](const OutboxEntry &entry, const ApiResponse &r) {
        onActionAnswer(entry, r, done);
    });
    if (!written) {
        // Without the outbox a crash could double the action: nothing was sent.
        if (e.action.startsWith(QLatin1String("attempt"))) {
            guards(t).budget->attemptFinished(true, false);
            guards(t).breaker->releasePermit();
        }
        if (done)
            done(written.error());
        return;
    }
    t.actionInFlight = true;
}

void Orchestrator::onActionAnswer(const OutboxEntry &e, const ApiResponse &r, const Done &done)
{
    const QString key = taskKey(e.endpoint, e.taskId);
    TrackedTask *t = find(key);
    if (t)
        t->actionInFlight = false;
    if (r.isSuccess()) {
        auto task = TaskJson::decodeTask(r.body);
        if (done)
            done({});
        // Looked at again even when push or a poll showed this version, or a newer one, first:
        // while the action was in flight the engine held its decisions back. The attempt it
        // started may already have failed — then the answer is older than what is held, and
        // what is held is what needs deciding.
        if (task && t) {
            const RemoteTask newest = task->version < t->remote.version ? t->remote : *task;
            onTasks(e.endpoint, {newest}, false, true);
        }
        if (auto *p = poller(e.endpoint))
            p->poke();
        return;
    }
    if (r.status == 409 && r.problemType() == QLatin1String("urn:rebound:problem:stale-fence") &&
        m_ownership.staleFence) {
        if (const auto f = Fence::parse(e.fence))
            m_ownership.staleFence(*f);
    }
    const QString message = ActionOutbox::refusal(e, r);
    if (t) {
        t->lastError = message;
        markChanged(*t); // the row says it now, whatever the re-read brings
        if (e.action.startsWith(QLatin1String("attempt"))) {
            TypeGuards &g = guards(*t);
            g.budget->attemptFinished(true, false);
            g.breaker->releasePermit(); // no attempt started: no probe will report
            m_budgetFreed.insert({t->endpoint, t->remote.type});
            flush();
        }
        if (e.action == QLatin1String("abort")) // looked at again once the task is re-read
            m_watch.schedule(key, m_clock.steadyNow() + Duration(1000));
    }
    if (done)
        done(Error{QStringLiteral("refused-%1").arg(r.status), message});
    Q_EMIT notice(e.endpoint, e.taskId, message);
    // Never retry blindly after a refusal: read the task again and decide from what is there.
    m_reader.readTask(e.endpoint, e.taskId);
}

void Orchestrator::onReread(const QString &endpoint, const RemoteTask &task)
{
    const QString key = taskKey(endpoint, task.id);
    if (TrackedTask *t = find(key)) {
        // A refusal for the attempt we decided on: let the decision be made afresh.
        if (task.attempt == t->decidedAttempt && task.state == RemoteState::Failed &&
            !m_scheduler.dueOf(key))
            t->decidedAttempt = task.attempt - 1;
    }
    onTasks(endpoint, {task}, false, true);
}

bool Orchestrator::refused(const QString &why, const Done &done)
{
    if (why.isEmpty())
        return false;
    if (done)
        done(Error{QStringLiteral("refused"), why});
    return true;
}

void Orchestrator::retryNow(const QString &endpoint, const QString &taskId, Done done)
{
    if (refused(whyNotRetry(endpoint, taskId), done))
        return;
    const QString key = taskKey(endpoint, taskId);
    TrackedTask &t = *find(key);
    // Skips the wait, not the safety: still If-Match and an idempotency key.
    m_scheduler.unschedule(t);
    const bool dead = t.remote.state == RemoteState::Cancelled ||
                      (t.lastDecision && std::holds_alternative<StopPlan>(*t.lastDecision));
    if (dead) {
        // A dead task comes back with a fresh allowance under its policy: attempts and the
        // deadline count from this attempt, the backoff starts over.
        t.allowanceBase = t.remote.attempt;
        t.allowanceStart = m_clock.steadyNow();
        t.backoff.reset();
        t.lastDecision.reset();
        t.requeuedByOperator = true;
        JsonLog::event(lcEngine, QtInfoMsg, QStringLiteral("task_requeued"),
                       {{QStringLiteral("endpoint"), endpoint},
                        {QStringLiteral("task_id"), taskId},
                        {QStringLiteral("attempt"), t.remote.attempt},
                        {QStringLiteral("cause"), QStringLiteral("operator")}});
    }
    t.decidedAttempt = t.remote.attempt;
    startAttempt(t, AttemptReason::Operator, std::move(done));
    emitChanged(t);
}

void Orchestrator::cancelRetries(const QString &endpoint, const QString &taskId, Done done)
{
    if (refused(whyNotCancel(endpoint, taskId), done))
        return;
    const QString key = taskKey(endpoint, taskId);
    TrackedTask &t = *find(key);
    m_scheduler.unschedule(t);
    t.decidedAttempt = t.remote.attempt;
    submit(t, ActionOutbox::make(endpoint, t.remote, ActionKind::OperatorCancel, t.remote.attempt),
           std::move(done));
    flush();
}

void Orchestrator::abortAttempt(const QString &endpoint, const QString &taskId, Done done)
{
    if (refused(whyNotAbort(endpoint, taskId), done))
        return;
    TrackedTask &t = *find(taskKey(endpoint, taskId));
    JsonLog::event(lcEngine, QtInfoMsg, QStringLiteral("attempt_abort_requested"),
                   {{QStringLiteral("endpoint"), endpoint},
                    {QStringLiteral("task_id"), taskId},
                    {QStringLiteral("attempt"), t.remote.lastAttempt->number},
                    {QStringLiteral("cause"), QStringLiteral("operator")}});
    submit(t,
           ActionOutbox::make(endpoint, t.remote, ActionKind::AbortOperator,
                              t.remote.lastAttempt->number),
           std::move(done));
}

void Orchestrator::setPaused(const QString &taskType, bool paused)
{
    m_scheduler.setPaused(taskType, paused);
}

void Orchestrator::commandBreaker(const QString &endpoint, const QString &taskType,
                                  BreakerCommand command)
{
    m_guards.command({endpoint, taskType}, command);
    // A reset or a disabled breaker frees the tasks it held at once (a forced open gives them
    // its new time): none waits for the time the open breaker had named.
    m_scheduler.wake({DeferReason::BreakerOpen}, [&](const TrackedTask &t) {
        return t.endpoint == endpoint && t.remote.type == taskType;
    });
}

} // namespace rebound
