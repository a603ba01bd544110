#pragma once

#include "policy/PolicySet.h"

#include <QByteArray>
#include <QJsonObject>
#include <QStringList>

#include <optional>

namespace rebound {

/// The outcome of validating a policy document: the set, or every problem found, each as
/// `json.path: reason` (e.g. `policies[2].backoff.multiplier: must be ≥ 1`).
struct PolicyValidation
{
    std::optional<PolicySet> set;
    QStringList errors;
    bool ok() const { return set.has_value(); }
};

/// Reads and writes the policy JSON document
/// `{ "version": 1, "policies": [ { "name", "match", "backoff", ... } ] }`. Every field but
/// `name` has a default; unknown fields are errors (a typo must not silently fall back).
class PolicyDocument final
{
public:
    static constexpr qsizetype kMaxBytes = 4 * 1024 * 1024;
    static constexpr qsizetype kMaxPolicies = 1000;
    static constexpr qsizetype kMaxNameLength = 200;
    static constexpr qsizetype kMaxListItems = 1000; ///< per list (types, status codes, …)
    static constexpr qsizetype kMaxErrors = 100;     ///< reported; the rest are counted

    static PolicyValidation parse(const QByteArray &json);
    static PolicyValidation fromJson(const QJsonObject &document);
    static QJsonObject toJson(const PolicySet &set);
    static QJsonObject toJson(const RetryPolicy &policy);
    static QByteArray serialize(const PolicySet &set); ///< indented, stable key order
};

} // namespace rebound
