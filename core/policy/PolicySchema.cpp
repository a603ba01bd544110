#include "policy/PolicySchema.h"

#include <type_traits>

namespace rebound {

namespace {

using K = PolicyField::Kind;

constexpr double kWeekMs = 7.0 * 24 * 3600 * 1000; // a week: anything longer is a typo
constexpr double kYearMs = 365.0 * 24 * 3600 * 1000;

template <auto S, auto M>
PolicyField real(const char *section, const char *key, double min, double max, bool excl,
                 const char *unit, const char *label, bool inEditor = false)
{
    PolicyField f{section, key, K::Real, min, max, excl, unit, label, {}, inEditor};
    f.get = [](const RetryPolicy &p) { return QJsonValue(double((p.*S).*M)); };
    f.set = [](RetryPolicy &p, const QJsonValue &v) {
        (p.*S).*M = v.toDouble();
        return true;
    };
    return f;
}

template <auto S, auto M>
PolicyField integer(const char *section, const char *key, double min, double max, const char *unit,
                    const char *label, bool inEditor = false)
{
    PolicyField f{section, key, K::Integer, min, max, false, unit, label, {}, inEditor};
    f.get = [](const RetryPolicy &p) { return QJsonValue(qint64((p.*S).*M)); };
    f.set = [](RetryPolicy &p, const QJsonValue &v) {
        using T = std::remove_reference_t<decltype((p.*S).*M)>;
        (p.*S).*M = static_cast<T>(v.toInteger());
        return true;
    };
    return f;
}

template <auto S, auto M>
PolicyField boolean(const char *section, const char *key, const char *label)
{
    PolicyField f{section, key, K::Boolean, 0, 1, false, "", label, {}, false};
    f.get = [](const RetryPolicy &p) { return QJsonValue(bool((p.*S).*M)); };
    f.set = [](RetryPolicy &p, const QJsonValue &v) {
        (p.*S).*M = v.toBool();
        return true;
    };
    return f;
}

template <auto S, auto M, auto ToText, auto FromText>
PolicyField choice(const char *section, const char *key, QStringList choices, const char *label,
                   bool inEditor = false)
{
    PolicyField f{section, key, K::Choice, 0, 0, false, "", label, std::move(choices), inEditor};
    f.get = [](const RetryPolicy &p) { return QJsonValue(ToText((p.*S).*M)); };
    f.set = [](RetryPolicy &p, const QJsonValue &v) {
        const auto parsed = FromText(v.toString());
        if (!parsed)
            return false;
        (p.*S).*M = *parsed;
        return true;
    };
    return f;
}

QString timeoutModeText(TimeoutMode m)
{
    return m == TimeoutMode::Adaptive ? QStringLiteral("adaptive") : QStringLiteral("fixed");
}

std::optional<TimeoutMode> timeoutModeFromText(const QString &s)
{
    if (s == QLatin1String("adaptive"))
        return TimeoutMode::Adaptive;
    if (s == QLatin1String("fixed"))
        return TimeoutMode::Fixed;
    return std::nullopt;
}

QString jitterText(JitterMode m)
{
    return toText(m);
}
QString windowText(SlidingWindowType t)
{
    return toText(t);
}
QString slaText(SlaPreset p)
{
    return toText(p);
}

std::vector<PolicyField> makeFields()
{
    constexpr auto B = &RetryPolicy::backoff;
    constexpr auto C = &RetryPolicy::classification;
    constexpr auto K_ = &RetryPolicy::breaker;
    constexpr auto T = &RetryPolicy::timeout;
    constexpr auto G = &RetryPolicy::budget;
    constexpr auto H = &RetryPolicy::health;
    return {
        // backoff
        real<B, &BackoffConfig::initialDelayMs>("backoff", "initialDelayMs", 0, kWeekMs, false,
                                                "ms", "Initial delay", true),
        real<B, &BackoffConfig::multiplier>("backoff", "multiplier", 1, 1000, false, "",
                                            "Multiplier", true),
        real<B, &BackoffConfig::maxDelayMs>("backoff", "maxDelayMs", 0, kWeekMs, false, "ms",
                                            "Max delay (cap)", true),
        integer<B, &BackoffConfig::maxAttempts>("backoff", "maxAttempts", 1, 1'000'000, "",
                                                "Max attempts", true),
        integer<B, &BackoffConfig::totalDeadlineMs>("backoff", "totalDeadlineMs", 0, kYearMs, "ms",
                                                    "Total deadline (0: none)", true),
        choice<B, &BackoffConfig::jitter, &jitterText, &jitterModeFromString>(
            "backoff", "jitter",
            JitterStrategy::names(), "Jitter", true),
        real<B, &BackoffConfig::randomizationFactor>("backoff", "randomizationFactor", 0, 1, false,
                                                     "", "Randomization factor", true),
        integer<B, &BackoffConfig::maxRetryAfterMs>("backoff", "maxRetryAfterMs", 0, kWeekMs, "ms",
                                                    "Longest Retry-After honoured"),
        // classification (its lists are read by hand)
        boolean<C, &ClassificationConfig::retryTimeouts>("classification", "retryTimeouts",
                                                         "Retry transport timeouts"),
        // breaker
        choice<K_, &BreakerConfig::windowType, &windowText, &slidingWindowTypeFromString>(
            "breaker", "windowType", {QStringLiteral("count"), QStringLiteral("time")},
            "Breaker: window"),
        integer<K_, &BreakerConfig::windowSize>("breaker", "windowSize", 1, 100'000, "",
                                                "Breaker: window size"),
        integer<K_, &BreakerConfig::minimumNumberOfCalls>(
            "breaker", "minimumNumberOfCalls", 1, 1'000'000, "", "Breaker: minimum calls", true),
        real<K_, &BreakerConfig::failureRateThreshold>("breaker", "failureRateThreshold", 0, 100,
                                                       true, "%", "Breaker: failure rate ≥", true),
        real<K_, &BreakerConfig::slowCallRateThreshold>("breaker", "slowCallRateThreshold", 0, 100,
                                                        true, "%", "Breaker: slow-call rate ≥",
                                                        true),
        integer<K_, &BreakerConfig::slowCallDurationThresholdMs>(
            "breaker", "slowCallDurationThresholdMs", 1, kWeekMs, "ms", "Breaker: slow call from",
            true),
        integer<K_, &BreakerConfig::waitDurationInOpenMs>(
            "breaker", "waitDurationInOpenMs", 0, kWeekMs, "ms", "Breaker: wait in open", true),
        integer<K_, &BreakerConfig::permittedCallsInHalfOpen>(
            "breaker", "permittedCallsInHalfOpen", 1, 100'000, "", "Breaker: half-open probes"),
        integer<K_, &BreakerConfig::maxWaitInHalfOpenMs>(
            "breaker", "maxWaitInHalfOpenMs", 0, kWeekMs, "ms", "Breaker: longest half-open wait"),
        boolean<K_, &BreakerConfig::automaticTransitionFromOpenToHalfOpen>(
            "breaker", "automaticTransitionFromOpenToHalfOpen", "Breaker: half-open by timer"),
        real<K_, &BreakerConfig::degradedFraction>("breaker", "degradedFraction", 0, 1, true, "",
                                                   "Breaker: degraded at fraction"),
        real<K_, &BreakerConfig::degradedSlowdown>("breaker", "degradedSlowdown", 1, 100, false, "",
                                                   "Breaker: slowdown when degraded"),
        // timeout
        choice<T, &TimeoutConfig::mode, &timeoutModeText, &timeoutModeFromText>(
            "timeout", "mode", {QStringLiteral("adaptive"), QStringLiteral("fixed")},
            "Attempt timeout", true),
        integer<T, &TimeoutConfig::fixedMs>("timeout", "fixedMs", 1, kWeekMs, "ms",
                                            "Timeout: fixed (and until enough samples)", true),
        real<T, &TimeoutConfig::percentile>("timeout", "percentile", 0, 1, true, "",
                                            "Timeout: percentile"),
        real<T, &TimeoutConfig::multiplier>("timeout", "multiplier", 0, 100, true, "",
                                            "Timeout: multiplier"),
        integer<T, &TimeoutConfig::windowSize>("timeout", "windowSize", 1, 100'000, "",
                                               "Timeout: window"),
        integer<T, &TimeoutConfig::minSamples>("timeout", "minSamples", 0, 100'000, "",
                                               "Timeout: samples before adapting"),
        integer<T, &TimeoutConfig::floorMs>("timeout", "floorMs", 0, kWeekMs, "ms",
                                            "Timeout: floor"),
        integer<T, &TimeoutConfig::ceilingMs>("timeout", "ceilingMs", 1, kWeekMs, "ms",
                                              "Timeout: ceiling"),
        choice<T, &TimeoutConfig::sla, &slaText, &slaPresetFromString>(
            "timeout", "sla", {QStringLiteral("none"), QStringLiteral("A"), QStringLiteral("B")},
            "Timeout: SLA preset"),
        // budget
        real<G, &BudgetConfig::ratePerSecond>("budget", "ratePerSecond", 0, 1e6, false, "/s",
                                              "Budget: rate limit"),
        real<G, &BudgetConfig::burst>("budget", "burst", 1, 1e7, false, "", "Budget: burst"),
        real<G, &BudgetConfig::budgetPercent>("budget", "budgetPercent", 0, 100, false,
                                              "% of active", "Retry budget", true),
        integer<G, &BudgetConfig::minRetryConcurrency>(
            "budget", "minRetryConcurrency", 0, 1'000'000, "", "Budget: min concurrency", true),
        real<G, &BudgetConfig::maxTokens>("budget", "maxTokens", 0, 1e6, false, "",
                                          "Budget: throttling tokens"),
        real<G, &BudgetConfig::tokenRatio>("budget", "tokenRatio", 0, 1e6, true, "",
                                           "Budget: token ratio"),
        real<G, &BudgetConfig::retryRatioPercent>("budget", "retryRatioPercent", 0, 100, false,
                                                  "% of attempts", "Budget: retry ratio cap"),
        integer<G, &BudgetConfig::ratioMinRetries>("budget", "ratioMinRetries", 0, 1'000'000, "",
                                                   "Budget: ratio floor (per 10 s)"),
        integer<G, &BudgetConfig::recheckMs>("budget", "recheckMs", 1, kWeekMs, "ms",
                                             "Budget: recheck after"),
        // health
        real<H, &HealthConfig::errorWeight>("health", "errorWeight", 0, 100, false, "",
                                            "Health: error weight", true),
        real<H, &HealthConfig::latencyWeight>("health", "latencyWeight", 0, 100, false, "",
                                              "Health: latency weight", true),
        real<H, &HealthConfig::timeoutWeight>("health", "timeoutWeight", 0, 100, false, "",
                                              "Health: timeout weight", true),
        real<H, &HealthConfig::errorRateThreshold>("health", "errorRateThreshold", 0, 1, true, "",
                                                   "Health: error rate threshold"),
        real<H, &HealthConfig::latencyThresholdMs>("health", "latencyThresholdMs", 0, kWeekMs, true,
                                                   "ms", "Health: latency threshold"),
        real<H, &HealthConfig::timeoutsPerMinuteThreshold>("health", "timeoutsPerMinuteThreshold",
                                                           0, 1e6, true, "/min",
                                                           "Health: timeouts threshold"),
        real<H, &HealthConfig::unhealthyScore>("health", "unhealthyScore", 0, 100, true, "",
                                               "Health: deny retries at score", true),
        integer<H, &HealthConfig::minimumCalls>("health", "minimumCalls", 1, 1'000'000, "",
                                                "Health: judge after calls", true),
        integer<H, &HealthConfig::windowMs>("health", "windowMs", 12, kWeekMs, "ms",
                                            "Health: window"),
        integer<H, &HealthConfig::recheckMs>("health", "recheckMs", 1, kWeekMs, "ms",
                                             "Health: recheck after"),
    };
}

} // namespace

const std::vector<PolicyField> &PolicySchema::fields()
{
    static const std::vector<PolicyField> all = makeFields();
    return all;
}

const PolicyField *PolicySchema::find(const QString &section, const QString &key)
{
    for (const PolicyField &f : fields()) {
        if (section == QLatin1String(f.section) && key == QLatin1String(f.key))
            return &f;
    }
    return nullptr;
}

QStringList PolicySchema::sections()
{
    QStringList out;
    for (const PolicyField &f : fields()) {
        if (!out.contains(QLatin1String(f.section)))
            out << QString::fromLatin1(f.section);
    }
    return out;
}

} // namespace rebound
