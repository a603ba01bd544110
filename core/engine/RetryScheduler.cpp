#include "engine/RetryScheduler.h"

#include "decision/ErrorClassifier.h"
#include "engine/RetryDecider.h"

#include <algorithm>
#include <cmath>

namespace rebound {

RetryScheduler::RetryScheduler(const PolicyStore &policies, GuardRegistry &guards, TaskBook &book,
                               EngineJournal &journal, HistoryStore &history, const Clock &clock,
                               TimerSource &timers, RandomSource &rng, Hooks hooks)
    : m_policies(policies), m_guards(guards), m_book(book), m_journal(journal), m_history(history),
      m_clock(clock), m_rng(rng), m_hooks(std::move(hooks)), m_queue(clock, timers)
{
    m_queue.setHandler([this](const QString &key) { onDue(key); });
    for (const ScheduledRetry &s : m_history.scheduled())
        m_restored.insert(TaskBook::key(s.endpoint, s.taskId), s);
}

RetryScheduler::~RetryScheduler()
{
    *m_alive = false; // a permit answered after this finds nobody to start
}

void RetryScheduler::setPermits(RetryPermits *permits)
{
    m_permits = permits;
    m_guards.setRateShared(permits != nullptr);
}

void RetryScheduler::adopt(TrackedTask &t)
{
    const auto r = m_restored.constFind(t.key);
    if (r != m_restored.constEnd() && r->failedAttempt == t.remote.attempt) {
        t.decidedAttempt = r->failedAttempt;
        t.recordedAttempt = r->failedAttempt;
    }
}

Duration RetryScheduler::longestWait(const QString &taskType) const
{
    const RetryPolicy &p = m_policies.current()->policyFor(taskType);
    const double backoff = p.backoff.maxDelayMs * std::max(1.0, p.breaker.degradedSlowdown);
    return Duration(
        std::max({static_cast<std::int64_t>(std::ceil(backoff)), p.backoff.maxRetryAfterMs,
                  p.breaker.waitDurationInOpenMs + p.breaker.maxWaitInHalfOpenMs,
                  p.budget.recheckMs, p.health.recheckMs}));
}

bool RetryScheduler::unschedule(const TrackedTask &t)
{
    const QString &key = t.key;
    if (!m_queue.cancel(key) && !m_restored.remove(key))
        return false;
    m_history.queueUnschedule(t.endpoint, t.remote.id);
    return true;
}

void RetryScheduler::forget(const QString &key)
{
    m_queue.cancel(key);
    m_restored.remove(key);
}

void RetryScheduler::observed(TrackedTask &t)
{
    const RemoteTask &remote = t.remote;
    const QString &key = t.key;
    const SteadyTime now = m_clock.steadyNow();
    switch (remote.state) {
    case RemoteState::Succeeded:
    case RemoteState::Cancelled:
    case RemoteState::Pending:
    case RemoteState::Running:
        unschedule(t); // done, or someone else started it
        break;
    case RemoteState::Failed:
        if (!m_hooks.owns(t))
            break; // its owner decides (a retry restored from the database waits for ownership)
        if (m_restored.contains(key)) {
            const ScheduledRetry s = m_restored.take(key);
            if (s.failedAttempt == remote.attempt) {
                // Resume the retry scheduled before a restart at its original time — bounded
                // by what the policy could ever have asked for, since the time on disk is wall
                // time: a clock that jumped back (or a database from another machine) must not
                // hold a retry for hours.
                m_queue.schedule(key, std::clamp(m_book.toSteady(s.dueWallMs), now,
                                                 now + longestWait(remote.type)));
                t.decidedAttempt = remote.attempt;
                break;
            }
            m_history.queueUnschedule(t.endpoint, remote.id);
        }
        if (t.decidedAttempt < remote.attempt && !t.actionInFlight && remote.lastAttempt &&
            remote.lastAttempt->ended())
            decide(t);
        break;
    }
}

void RetryScheduler::decide(TrackedTask &t)
{
    decide(t, std::nullopt);
}

void RetryScheduler::decide(TrackedTask &t, const std::optional<DeferPlan> &forced)
{
    const QString &key = t.key;
    const RemoteAttempt &a = *t.remote.lastAttempt;
    const std::shared_ptr<const PolicySet> set = m_policies.current();
    const RetryPolicy &p = set->policyFor(t.remote.type);
    TypeGuards &g = m_guards.at({t.endpoint, t.remote.type});
    if (!t.backoff || t.policyName != p.name || t.policyVersion != g.policyVersion)
        t.backoff.emplace(p.backoff);
    t.policyName = p.name;
    t.policyVersion = g.policyVersion;

    RetryContext ctx;
    ctx.classification = ErrorClassifier::classify(failureOf(a), p.classification);
    // A dead task brought back by an operator counts its attempts from there.
    ctx.attemptsMade = t.remote.attempt - t.allowanceBase;
    ctx.firstAttemptStart = t.requeuedByOperator ? t.allowanceStart : t.createdAt;
    ctx.failedAttemptEnd = m_book.failureEnd(t, a);
    if (a.retryAfterMs)
        ctx.retryAfter = Duration(*a.retryAfterMs);
    ctx.cancelled = t.remote.state == RemoteState::Cancelled;
    ctx.paused = m_paused.contains(t.remote.type);
    const SteadyTime now = m_clock.steadyNow();
    const RetryDecision d =
        forced ? RetryDecision(*forced)
               : RetryDecider::decide(ctx, p, *t.backoff, m_rng,
                                      RetryGates{g.breaker.get(), g.budget.get(), g.health.get()},
                                      now);
    t.lastDecision = d;
    t.decisionFor = a.number;
    t.decidedAt = now;

    m_journal.decision(t, a, ctx.classification, d, now);
    if (const auto *r = std::get_if<RetryPlan>(&d)) {
        t.decidedAttempt = a.number;
        m_queue.schedule(key, r->at);
        m_history.queueSchedule(ScheduledRetry{t.endpoint, t.remote.id, a.number,
                                               m_book.toWall(r->at), QStringLiteral("retry")});
    } else if (const auto *f = std::get_if<DeferPlan>(&d)) {
        // Not decided: looked at again when the recheck time comes (or on resume).
        if (f->reason == DeferReason::BudgetExhausted)
            m_budgetHeld.insert({t.endpoint, t.remote.type});
        if (f->recheckAt) {
            m_queue.schedule(key, *f->recheckAt);
            m_history.queueSchedule(ScheduledRetry{t.endpoint, t.remote.id, a.number,
                                                   m_book.toWall(*f->recheckAt),
                                                   QStringLiteral("defer")});
        }
    } else {
        t.decidedAttempt = a.number;
        unschedule(t);
        m_hooks.stop(t, std::get<StopPlan>(d).reason);
    }
    m_hooks.decided(t);
}

void RetryScheduler::onDue(const QString &key)
{
    TrackedTask *t = m_book.find(key);
    if (!t || t->remote.state != RemoteState::Failed || t->actionInFlight)
        return;
    if (t->lastDecision && std::holds_alternative<DeferPlan>(*t->lastDecision)) {
        decide(*t); // a deferral ran out: decide again
        return;
    }
    if (m_hooks.readOnly()) {
        m_queue.schedule(key, m_clock.steadyNow() + Duration(5000));
        return;
    }
    if (!m_hooks.owns(*t))
        return; // the shard moved on: its new owner decides

    TypeGuards &g = m_guards.at({t->endpoint, t->remote.type});
    if (m_paused.contains(t->remote.type) || !g.budget->canRetry()) {
        decide(*t); // conditions changed since scheduling: defer with the right reason
        return;
    }
    const BudgetConfig &budget = m_policies.current()->policyFor(t->remote.type).budget;
    if (m_permits && budget.ratePerSecond > 0) {
        if (m_asking.contains(key))
            return;
        m_asking.insert(key);
        m_permits->acquire(
            {t->endpoint, t->remote.type}, budget,
            [this, alive = m_alive, key, attempt = t->remote.attempt](RetryPermit permit) {
                if (*alive)
                    onPermit(key, attempt, permit);
            });
        return;
    }
    start(*t);
}

void RetryScheduler::onPermit(const QString &key, int attempt, RetryPermit permit)
{
    m_asking.remove(key);
    TrackedTask *t = m_book.find(key);
    // Anything that happened meanwhile wins: the task moved on, was scheduled again, an
    // action is in flight, or another member decides it now.
    if (!t || t->remote.state != RemoteState::Failed || t->remote.attempt != attempt ||
        t->actionInFlight || m_queue.dueOf(key) || m_hooks.readOnly() || !m_hooks.owns(*t))
        return;
    if (!permit.granted) {
        decide(*t, DeferPlan{DeferReason::BudgetExhausted,
                             m_clock.steadyNow() + std::max(Duration(1), permit.retryIn)});
        return;
    }
    start(*t);
}

void RetryScheduler::start(TrackedTask &t)
{
    // The breaker is asked last: a permit it hands out must become a call.
    if (m_paused.contains(t.remote.type) ||
        !m_guards.at({t.endpoint, t.remote.type}).breaker->tryAcquire()) {
        decide(t);
        return;
    }
    m_hooks.startRetry(t);
}

void RetryScheduler::setPaused(const QString &taskType, bool paused)
{
    if (paused) {
        m_paused.insert(taskType);
        return;
    }
    if (!m_paused.remove(taskType))
        return;
    // Decide again every task that was deferred because of the pause.
    wake({DeferReason::Paused},
         [&taskType](const TrackedTask &t) { return t.remote.type == taskType; });
}

void RetryScheduler::budgetFreed(const GuardKey &key)
{
    if (!m_budgetHeld.contains(key))
        return;
    const int room = m_guards.at(key).budget->headroom();
    if (room == 0)
        return;
    m_budgetHeld.remove(key); // put back by any it defers again
    wake({DeferReason::BudgetExhausted},
         [&key](const TrackedTask &t) {
             return t.endpoint == key.endpoint && t.remote.type == key.taskType;
         },
         room);
}

int RetryScheduler::wake(const QList<DeferReason> &reasons,
                         const std::function<bool(const TrackedTask &)> &matches, int limit)
{
    struct Held
    {
        SteadyTime failedAt;
        TrackedTask *task;
    };
    std::vector<Held> woken;
    m_book.forEach([&](TrackedTask &t) {
        if (t.remote.state != RemoteState::Failed || t.actionInFlight || !t.lastDecision ||
            !t.remote.lastAttempt || m_asking.contains(t.key))
            return;
        const auto *defer = std::get_if<DeferPlan>(&*t.lastDecision);
        // The failure's end is read once per task: it can depend on the clock, and a sort
        // whose comparisons change as it runs is undefined.
        if (defer && reasons.contains(defer->reason) && matches(t))
            woken.push_back({m_book.failureEnd(t, *t.remote.lastAttempt), &t});
    });
    // The order they would have been retried in had nothing held them: oldest failure first,
    // so a budget that lets only some through lets the longest-waiting ones through. Ties
    // (failures seen in one listing) go by key: the same order on every run.
    std::sort(woken.begin(), woken.end(), [](const Held &a, const Held &b) {
        return a.failedAt != b.failedAt ? a.failedAt < b.failedAt : a.task->key < b.task->key;
    });
    if (woken.size() > std::size_t(limit)) {
        // The rest stay held: keep them known, so the next freed retry looks again.
        const TrackedTask &next = *woken[std::size_t(limit)].task;
        m_budgetHeld.insert({next.endpoint, next.remote.type});
        woken.resize(std::size_t(limit));
    }
    for (const Held &h : woken)
        decide(*h.task);
    return static_cast<int>(woken.size());
}

} // namespace rebound
