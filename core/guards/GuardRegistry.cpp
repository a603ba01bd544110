#include "guards/GuardRegistry.h"

#include "decision/ErrorClassifier.h"
#include "policy/PolicyStore.h"

namespace rebound {

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

void GuardRegistry::recordEnded(const GuardKey &key, const EndedCall &call, bool startedHere)
{
    TypeGuards &g = at(key);
    const RetryPolicy &p = m_policies.current()->policyFor(key.taskType);
    // A business error says nothing about the dependency's health.
    const bool dependencyFailed =
        !call.succeeded
        && ErrorClassifier::classify(call.failure, p.classification).errorClass
               != ErrorClass::Business;
    const Duration duration = call.duration.value_or(Duration(0));
    g.breaker->record(dependencyFailed ? CallOutcome::Failure : CallOutcome::Success, duration);
    g.health->record(dependencyFailed, duration, call.timedOut);
    // A timed-out attempt's duration is the timeout itself: learning from it would only
    // stretch the timeout that cut it.
    if (!call.timedOut && call.duration)
        g.timeout->record(duration);
    if (call.retry)
        g.budget->attemptFinished(true, call.succeeded, startedHere);
    g.budget->attemptEnded(call.automatic);
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
