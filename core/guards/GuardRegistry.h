#pragma once

#include "decision/Failure.h"
#include "guards/AdaptiveTimeout.h"
#include "guards/CircuitBreaker.h"
#include "guards/GuardKey.h"
#include "guards/HealthMonitor.h"
#include "guards/RetryBudget.h"

#include <QHash>
#include <QList>
#include <QString>

#include <functional>
#include <memory>

namespace rebound {

class PolicyStore;
class TimerSource;

/// One ended attempt as the guards see it; the engine reads it from the service's record.
struct EndedCall
{
    Failure failure; ///< how it failed (not read when it succeeded)
    bool succeeded = false;
    bool timedOut = false;
    std::optional<Duration> duration;
    bool retry = false; ///< not the task's first attempt
    bool automatic = false; ///< a retry a policy chose (not an operator's)
};

enum class BreakerCommand
{
    ForceOpen,
    Reset,
    Disable
};

/// The guards of one (endpoint, task type), configured from that type's policy.
struct TypeGuards
{
    std::unique_ptr<CircuitBreaker> breaker;
    std::unique_ptr<HealthMonitor> health;
    std::unique_ptr<RetryBudget> budget;
    std::unique_ptr<AdaptiveTimeout> timeout; ///< the attempt timeout (policy `timeout`)
    int policyVersion = -1;
    QString policyName;
};

/// Breaker, health score, retry budget and attempt timeout per (endpoint, task type): created
/// on first use, reconfigured when the policy changes (hot reload), fed with every attempt
/// that ends. Reads (health(), metrics(), keys()) never create or move anything.
class GuardRegistry final
{
    Q_DISABLE_COPY_MOVE(GuardRegistry)

public:
    using TransitionListener = std::function<void(const GuardKey &, const BreakerTransition &)>;

    GuardRegistry(const PolicyStore &policies, const Clock &clock, TimerSource &timers);
    ~GuardRegistry();

    void setTransitionListener(TransitionListener listener) { m_listener = std::move(listener); }

    /// The guards of `key` under the current policy (created or reconfigured as needed).
    TypeGuards &at(const GuardKey &key);
    /// The policy version the guards of `key` were last configured with (0 without history).
    int currentPolicyVersion() const;

    /// An attempt of `key` ended: the breaker counts it as a call, the health score as a
    /// sample, the budget as a finished retry, the adaptive timeout as a duration.
    /// `startedHere`: this engine started it (its own running-retry count ends with it; another
    /// fleet member's retry only feeds the shared signals).
    void recordEnded(const GuardKey &key, const EndedCall &call, bool startedHere = true);
    /// The timeout for the next attempt of `key`: fixed, or multiplier x percentile of recent
    /// durations within [floor, ceiling] once enough are known.
    Duration attemptTimeout(const GuardKey &key);
    void command(const GuardKey &key, BreakerCommand command);
    /// Retry rate limits are kept outside (RetryPermits): budgets stop applying their own.
    void setRateShared(bool shared);
    void removeEndpoint(const QString &endpoint);

    BreakerHealth breakerHealth(const GuardKey &key) const;
    BreakerMetrics breakerMetrics(const GuardKey &key) const;
    /// The health score of `key` now (nothing when it has no guards yet).
    std::optional<HealthScore> healthScore(const GuardKey &key) const;
    /// The retry budget's tokens of `key` (nothing when it has no guards yet).
    std::optional<double> budgetTokens(const GuardKey &key) const;
    QList<GuardKey> keys() const { return m_guards.keys(); }
    int allowedConcurrentRetries() const;

private:
    const PolicyStore &m_policies;
    const Clock &m_clock;
    TimerSource &m_timers;
    QHash<GuardKey, std::shared_ptr<TypeGuards>> m_guards;
    TransitionListener m_listener;
    bool m_rateShared = false;
};

} // namespace rebound
