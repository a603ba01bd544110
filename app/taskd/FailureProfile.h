#pragma once

#include "support/Result.h"
#include "time/RandomSource.h"

#include <QHash>
#include <QJsonObject>
#include <QStringList>

#include <cstdint>

namespace rebound::taskd {

/// How attempts of one task type behave in the simulation. Probabilities are per attempt; what
/// they leave over is success.
struct OutcomeMix
{
    double unavailable = 0;             ///< 503
    double rateLimited = 0;             ///< 429
    double retryAfterProbability = 0.5; ///< of 503/429 answers carrying Retry-After
    std::int64_t retryAfterMinMs = 1000;
    std::int64_t retryAfterMaxMs = 3000;
    double timeout = 0;  ///< 504, outcome "timeout"
    double business = 0; ///< 400 with a problem type, not retryable
    QStringList businessProblems{QStringLiteral("urn:rebound:problem:invalid-payload")};
    double hang = 0; ///< never answers; ends as a timeout at the attempt deadline
    std::int64_t latencyMinMs = 20;
    std::int64_t latencyMaxMs = 200;
};

enum class SimOutcome
{
    Success,
    Unavailable,
    RateLimited,
    Timeout,
    Business,
    Hang
};

struct SimResult
{
    SimOutcome outcome = SimOutcome::Success;
    std::int64_t latencyMs = 0;
    std::int64_t retryAfterMs = -1; ///< -1: none
    QString problemType;
};

/// A failure profile: a default mix plus per-type mixes (JSON: {"default": {...},
/// "types": {"pdf.render": {...}}}). Types not named use the default.
class FailureProfile final
{
public:
    static FailureProfile
    demo(); ///< mostly successes, transient 503/429, timeouts, business errors
    static FailureProfile alwaysSucceed();
    static Result<FailureProfile> fromJson(const QByteArray &json);

    const OutcomeMix &mixFor(const QString &type) const;
    SimResult sample(const QString &type, RandomSource &rng) const;
    void setMix(const QString &type, const OutcomeMix &mix) { m_types.insert(type, mix); }
    void setDefault(const OutcomeMix &mix) { m_default = mix; }

private:
    OutcomeMix m_default;
    QHash<QString, OutcomeMix> m_types;
};

} // namespace rebound::taskd
