#include "policy/PolicySet.h"

namespace rebound {

const RetryPolicy &PolicySet::builtInDefault()
{
    static const RetryPolicy policy = [] {
        RetryPolicy p;
        p.name = QStringLiteral("default");
        return p;
    }();
    return policy;
}

const RetryPolicy &PolicySet::policyFor(QStringView taskType) const
{
    for (const RetryPolicy &p : policies) {
        if (p.matches(taskType))
            return p;
    }
    return builtInDefault();
}

const RetryPolicy *PolicySet::byName(QStringView name) const
{
    for (const RetryPolicy &p : policies) {
        if (p.name == name)
            return &p;
    }
    return nullptr;
}

} // namespace rebound
