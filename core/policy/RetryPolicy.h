#pragma once

#include "policy/BackoffConfig.h"
#include "policy/BreakerConfig.h"
#include "policy/BudgetConfig.h"
#include "policy/ClassificationConfig.h"
#include "policy/HealthConfig.h"
#include "policy/TimeoutConfig.h"

#include <QStringList>

namespace rebound {

/// One named policy: which task types it applies to and how they are retried.
struct RetryPolicy
{
    QString name;
    QStringList matchTypes{QStringLiteral("*")}; ///< globs; any one matching selects the policy
    BackoffConfig backoff;
    ClassificationConfig classification;
    BreakerConfig breaker;
    TimeoutConfig timeout;
    BudgetConfig budget;
    HealthConfig health;

    bool matches(QStringView taskType) const;
    friend bool operator==(const RetryPolicy &, const RetryPolicy &) = default;
};

} // namespace rebound
