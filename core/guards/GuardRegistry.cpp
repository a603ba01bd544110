#include "GuardRegistry.h"

#include "ErrorClassifier.h"
#include "PolicyStore.h"

namespace rebound {

Failure failureOf(const RemoteAttempt &a)
{
    Failure f;
    if (a.outcome == AttemptOutcome::Timeout)
        f.transport = TransportError::Timeout;
    f.httpStatus = a.httpStatus.value_or(0);
    f.problem = a.problem.toOptional();
    if (a.retryAfterMs)
        f.retryAfter = Duration(*a.retryAfterMs);
    return f;
}

GuardRegistry::GuardRegistry(const PolicyStore &policies, const Clock &clock, TimerSource &timers)
    : m_policies(policies), m_clock(clock), m_timers(timers)
{}

GuardRegistry::~GuardRegistry() = default;

int GuardRegistry::currentPolicyVersion() const
{
    return m_policies.history().isEmpty() ? 0 : m_policies.history().last().number;
}

TypeGuards &GuardRegistry::at(const GuardKey &key)
{
    const RetryPolicy &p = m_policies.current()->policyFor(key.taskType);
    const int version = currentPolicyVersion();
    std::shared_ptr<TypeGuards> &slot = m_guards[key];
    if (!slot) {
        slot = std::make_shared<TypeGuards>();
        slot->breaker = std::make_unique<CircuitBreaker>(p.breaker, m_clock, &m_timers);
        slot->health = std::make_unique<HealthMonitor>(p.health, m_clock);
        slot->budget = std::make_unique<RetryBudget>(p.budget, m_clock);
        slot->budget->setRateShared(m_rateShared);
        slot->timeout = std::make_unique<AdaptiveTimeout>(p.timeout);
        slot->breaker->setListener([this, key](const BreakerTransition &t) {
            if (m_listener)
                m_listener(key, t);
        });
    } else if (slot->policyVersion != version || slot->policyName != p.name) {
        // Hot reload: the next decision uses the new settings.
        slot->breaker->reconfigure(p.breaker);
        slot->health->reconfigure(p.health);
        slot->budget->reconfigure(p.budget);
        slot->timeout->reconfigure(p.timeout);
    }
    slot->policyVersion = version;
    slot->policyName = p.name;
    return *slot;
}

void GuardRegistry::recordEnded(const GuardKey &key, const RemoteAttempt &a, bool startedHere)
{
    TypeGuards &g = at(key);
    const RetryPolicy &p = m_policies.current()->policyFor(key.taskType);
    const Classification c = ErrorClassifier::classify(failureOf(a), p.classification);
    const bool succeeded = a.outcome == AttemptOutcome::Succeeded;
    const bool timedOut = a.outcome == AttemptOutcome::Timeout;
    // A business error says nothing about the dependency's health.
    const bool dependencyFailed = !succeeded && c.errorClass != ErrorClass::Business;
    const Duration duration(a.durationMs.value_or(0));
    g.breaker->record(dependencyFailed ? CallOutcome::Failure : CallOutcome::Success, duration);
    g.health->record(dependencyFailed, duration, timedOut);
    // A timed-out attempt's duration is the timeout itself: learning from it would only
    // stretch the timeout that cut it.
    if (!timedOut && a.durationMs)
        g.timeout->record(duration);
    if (a.reason != AttemptReason::Initial)
        g.budget->attemptFinished(true, succeeded, startedHere);
    g.budget->attemptEnded(a.reason == AttemptReason::Auto);
}

Duration GuardRegistry::attemptTimeout(const GuardKey &key)
{
    return at(key).timeout->current();
}

void GuardRegistry::command(const GuardKey &key, BreakerCommand command)
{
    CircuitBreaker &b = *at(key).breaker;
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

void GuardRegistry::setRateShared(bool shared)
{
    m_rateShared = shared;
    for (const auto &g : std::as_const(m_guards))
        g->budget->setRateShared(shared);
}

void GuardRegistry::removeEndpoint(const QString &endpoint)
{
    m_guards.removeIf([&endpoint](const auto &it) { return it.key().endpoint == endpoint; });
}

BreakerHealth GuardRegistry::breakerHealth(const GuardKey &key) const
{
    const auto it = m_guards.constFind(key);
    return it == m_guards.constEnd() ? BreakerHealth::Healthy : (*it)->breaker->health();
}

BreakerMetrics GuardRegistry::breakerMetrics(const GuardKey &key) const
{
    const auto it = m_guards.constFind(key);
    return it == m_guards.constEnd() ? BreakerMetrics{} : (*it)->breaker->metrics();
}

std::optional<HealthScore> GuardRegistry::healthScore(const GuardKey &key) const
{
    const auto it = m_guards.constFind(key);
    if (it == m_guards.constEnd())
        return std::nullopt;
    return (*it)->health->score();
}

int GuardRegistry::allowedConcurrentRetries() const
{
    int total = 0;
    for (const auto &g : m_guards)
        total += g->budget->allowedConcurrentRetries();
    return total;
}

std::optional<double> GuardRegistry::budgetTokens(const GuardKey &key) const
{
    const auto it = m_guards.constFind(key);
    if (it == m_guards.constEnd() || !(*it)->budget)
        return std::nullopt;
    return (*it)->budget->tokens();
}

} // namespace rebound
