#pragma once

#include "policy/RetryPolicy.h"

#include <QByteArray>
#include <QList>

namespace rebound {

/// An immutable, validated policy document. Holders keep a shared_ptr<const PolicySet>, so a
/// hot reload never changes a set someone is deciding with.
struct PolicySet
{
    int version = 1; ///< the document format version
    QList<RetryPolicy> policies;

    /// The first policy (in document order) whose match selects `taskType`, else the built-in
    /// default policy.
    const RetryPolicy &policyFor(QStringView taskType) const;
    const RetryPolicy *byName(QStringView name) const;
    static const RetryPolicy &builtInDefault();

    friend bool operator==(const PolicySet &, const PolicySet &) = default;
};

} // namespace rebound
