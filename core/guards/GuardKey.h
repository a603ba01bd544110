#pragma once

#include <QHash>
#include <QString>

namespace rebound {

/// What a guard protects: one task type on one endpoint.
struct GuardKey
{
    QString endpoint;
    QString taskType;

    friend bool operator==(const GuardKey &, const GuardKey &) = default;
};

inline size_t qHash(const GuardKey &k, size_t seed = 0)
{
    return qHashMulti(seed, k.endpoint, k.taskType);
}

} // namespace rebound
