#include "engine/Orchestrator.h"

#include "support/JsonLog.h"

#include <QMetaMethod>

#include <algorithm>

namespace rebound {

Orchestrator::Orchestrator(PolicyStore &policies, HistoryStore &history, const Clock &clock,
                           TimerSource &timers, RandomSource &rng, TransportFactory transports,
                           QObject *parent)
    : EngineView(parent), m_policies(policies), m_history(history), m_clock(clock),
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
              m_attemptWaiters.answer(taskKey(endpoint, taskId), attempts);
          },
          [this](const QString &endpoint, const QString &taskId, const QString &why) {
              m_attemptWaiters.fail(taskKey(endpoint, taskId),
                                    Error{QStringLiteral("attempts_unread"),
                                          QStringLiteral("could not read the attempts of %1 at "
                                                         "%2: %3")
                                              .arg(taskId, endpoint, why)});
          }),
      m_fenceAnnouncer([this] { return m_endpoints.transports(); },
                       [this](const Fence &f) {
                           if (m_ownership.staleFence)
                               m_ownership.staleFence(f);
                       }),
      m_endpoints(history, clock, timers, rng, std::move(transports), this,
                  {[this](const QString &endpoint, const QList<RemoteTask> &tasks, bool snapshot) {
                       onTasks(endpoint, tasks, snapshot);
                   },
                   [this](const QString &endpoint, const EndpointStatus &s) {
                       Q_EMIT endpointStatusChanged(endpoint, s);
                   },
                   // Reads that failed while it was away go now, not after their backoff.
                   [this](const QString &endpoint) { m_reader.endpointBack(endpoint); },
                   [this](const QString &endpoint, Duration elapsed) {
                       m_metrics.pollAnswered(endpoint, elapsed);
                   }}),
      m_book(clock),
      m_watch(m_book, m_guards, clock, timers, [this](TrackedTask &t) { onOverrun(t); }),
      m_actions(m_outbox, m_guards, m_book, m_reader, m_watch,
                {[this](const TrackedTask &t, OutboxEntry &e) { return fence(t, e); },
                 [this](const Fence &f) {
                     if (m_ownership.staleFence)
                         m_ownership.staleFence(f);
                 },
                 [this](const QString &endpoint, const RemoteTask &task) {
                     onTasks(endpoint, {task}, false, true);
                 },
                 [this](const QString &endpoint) {
                     if (EndpointPoller *p = poller(endpoint))
                         p->poke();
                 },
                 [this](TrackedTask &t) { markChanged(t); },
                 [this](const GuardKey &k) {
                     m_batch.budgetFreed(k);
                     flush();
                 },
                 [this](const QString &endpoint, const QString &taskId, const QString &why) {
                     Q_EMIT notice(endpoint, taskId, why);
                 }}),
      m_journal(history, m_book, m_metrics, m_tracer),
      m_scheduler(policies, m_guards, m_book, m_journal, history, clock, timers, rng,
                  {[this](TrackedTask &t) { m_actions.startAttempt(t, AttemptReason::Auto, {}); },
                   [this](TrackedTask &t, StopReason r) { stopTask(t, r); },
                   [this](TrackedTask &t) {
                       updateLifecycle(t);
                       emitChanged(t);
                   },
                   [this] { return m_readOnly; },
                   [this](const TrackedTask &t) { return owns(t.endpoint, t.remote.id); }}),
      m_batch(
          history, m_metrics, clock, timers,
          [this](const QSet<GuardKey> &freed) {
              for (const GuardKey &k : freed)
                  m_scheduler.budgetFreed(k);
          },
          [this](const QList<const TrackedTask *> &tasks) { publish(tasks); })
{
    m_guards.setTransitionListener([this](const GuardKey &k, const BreakerTransition &t) {
        m_journal.breaker(k, t);
        Q_EMIT breakerTransition(k.endpoint, k.taskType, t);
        flush();
    });
    connect(&m_policies, &PolicyStore::policiesChanged, this, [this](int) {
        m_journal.policyVersion(m_policies.history().last());
        // New rules may lift what held a deferred task (a bigger budget, a higher health line,
        // a breaker that may not open): each is decided again under them, now.
        m_scheduler.wake(
            {DeferReason::BreakerOpen, DeferReason::BudgetExhausted, DeferReason::Unhealthy},
            [](const TrackedTask &) { return true; });
    });
    if (!m_policies.history().isEmpty())
        m_journal.policyVersion(m_policies.history().last());
}

Orchestrator::~Orchestrator()
{
    stop();
    if (auto r = m_history.flush(); !r) // what is lost here is said, not dropped
        JsonLog::event(lcEngine, QtCriticalMsg, QStringLiteral("history_write_failed"),
                       {{QStringLiteral("cause"), r.error().message}});
}

void Orchestrator::stop()
{
    m_reader.stop();
    m_attemptWaiters.failAll(
        Error{QStringLiteral("engine_stopped"),
              QStringLiteral("the engine stopped before the attempts were read")});
    m_endpoints.stopAll();
}

void Orchestrator::addEndpoint(const EndpointConfig &config)
{
    const EndpointSet::Endpoint *e = m_endpoints.add(config);
    if (!e)
        return; // watched already: it took the new credentials
    const QString key = config.key();
    EndpointPoller *poller = e->poller; // (the set may grow while the outbox resumes)
    if (m_ownership.held) // shards held already: this endpoint hears of them before anything
        m_fenceAnnouncer.announceTo(e->transport, m_ownership.held());
    // Requests written down before a crash go out first, unchanged.
    m_actions.resume(key);
    poller->start();
    Q_EMIT endpointsChanged();
}

void Orchestrator::removeEndpoint(const QString &endpoint)
{
    // Gone from the set first: the callbacks of the requests it aborts find no endpoint.
    if (!m_endpoints.remove(endpoint))
        return;
    const QStringList gone = m_book.keysOf(endpoint);
    if (!gone.isEmpty())
        Q_EMIT rowsAboutToBeRemoved(gone);
    // The pending batch must not name tasks about to be deleted.
    m_batch.dropEndpoint(endpoint);
    for (const QString &key : std::as_const(gone)) {
        m_scheduler.forget(key);
        m_watch.cancel(key);
        m_reader.forget(endpoint, m_book.find(key)->remote.id);
        m_attemptWaiters.fail(key, Error{QStringLiteral("endpoint_removed"),
                                         QStringLiteral("%1 is no longer watched").arg(endpoint)});
        m_book.remove(key);
    }
    m_guards.removeEndpoint(endpoint);
    JsonLog::event(
        lcEngine, QtInfoMsg, QStringLiteral("endpoint_removed"),
        {{QStringLiteral("endpoint"), endpoint}, {QStringLiteral("tasks"), gone.size()}});
    Q_EMIT endpointRemoved(endpoint);
    Q_EMIT endpointsChanged();
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
    if (!m_endpoints.find(endpoint)) {
        done(Error{QStringLiteral("endpoint_unknown"),
                   QStringLiteral("%1 is not watched").arg(endpoint)});
        return;
    }
    m_attemptWaiters.wait(taskKey(endpoint, taskId), std::move(done));
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

QList<QPair<QString, QString>> Orchestrator::breakerKeys() const
{
    QList<QPair<QString, QString>> out;
    for (const GuardKey &k : m_guards.keys())
        out.append({k.endpoint, k.taskType});
    return out;
}

void Orchestrator::publish(const QList<const TrackedTask *> &tasks)
{
    Q_EMIT tasksUpdated(tasks);
    // Rows are made only for a view that listens (a headless engine has none).
    static const QMetaMethod rowsSignal = QMetaMethod::fromSignal(&EngineView::rowsUpdated);
    if (!isSignalConnected(rowsSignal))
        return;
    QList<TaskRow> rows;
    rows.reserve(tasks.size());
    for (const TrackedTask *t : tasks)
        rows << TaskRow::of(*t);
    Q_EMIT rowsUpdated(rows);
}

void Orchestrator::onTasks(const QString &endpoint, const QList<RemoteTask> &tasks, bool snapshot,
                           bool reread)
{
    const EndpointSet::Endpoint *ep = m_endpoints.find(endpoint);
    // Attempts this batch shows as begun began after the endpoint's previous complete answer.
    const std::optional<SteadyTime> lastBatch =
        ep ? ep->poller->status().lastCompleteAt : std::nullopt;
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
            const int known = ep ? ep->knownAttempts.value(remote.id, 0) : 0;
            if (remote.attempt > known + 1)
                m_reader.readAttempts(endpoint, remote.id,
                                      snapshot ? TaskReader::Priority::Backfill
                                               : TaskReader::Priority::Now);
            m_scheduler.adopt(*t);
            // Brought back by an operator before a restart: the fresh allowance still holds.
            if (const auto r = ep ? std::optional(ep->requeues.value(remote.id)) : std::nullopt;
                r && r->first > 0 && remote.attempt >= r->first) {
                TaskBook::requeue(*t, r->first - 1,
                                  std::min(m_clock.steadyNow(), m_book.toSteady(r->second)));
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
        m_watch.follow(t, *remote.lastAttempt, seen->notRunningAt);
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

void Orchestrator::onOverrun(TrackedTask &t)
{
    if (m_readOnly || !owns(t.endpoint, t.remote.id))
        return; // its owner ends it (ownershipChanged resumes the watch of a task gained)
    m_actions.overran(t);
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
                m_batch.budgetFreed({t.endpoint, t.remote.type});
        }
    }
}

void Orchestrator::stopTask(TrackedTask &t, StopReason reason)
{
    Q_EMIT taskStopped(t.endpoint, t.remote.id, reason);
    if (m_readOnly || t.remote.state == RemoteState::Cancelled)
        return;
    m_actions.stopped(t, reason);
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
        m_watch.resume(t);
        if (t.remote.state == RemoteState::Failed && !m_scheduler.dueOf(t.key)) {
            m_scheduler.observed(t);
            updateLifecycle(t);
            markChanged(t);
        }
    });
    flush();
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
        TaskBook::requeue(t, t.remote.attempt, m_clock.steadyNow());
        m_journal.requeued(t);
    }
    t.decidedAttempt = t.remote.attempt;
    m_actions.startAttempt(t, AttemptReason::Operator, std::move(done));
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
    m_actions.operatorCancel(t, std::move(done));
    flush();
}

void Orchestrator::abortAttempt(const QString &endpoint, const QString &taskId, Done done)
{
    if (refused(whyNotAbort(endpoint, taskId), done))
        return;
    m_actions.operatorAbort(*find(taskKey(endpoint, taskId)), std::move(done));
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
