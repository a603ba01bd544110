#include "policy/RetryPolicy.h"

#include "support/Glob.h"

namespace rebound {

bool RetryPolicy::matches(QStringView taskType) const
{
    for (const QString &g : matchTypes) {
        if (Glob::match(g, taskType))
            return true;
    }
    return false;
}

} // namespace rebound
