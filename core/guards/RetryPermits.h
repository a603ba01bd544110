#pragma once

#include "guards/GuardKey.h"
#include "policy/BudgetConfig.h"
#include "time/Time.h"

#include <functional>

namespace rebound {

/// The answer to "may this retry start now?" from a rate limit kept outside the engine.
struct RetryPermit
{
    bool granted = false;
    Duration retryIn{0}; ///< when refused: how long until the limit would grant one
};

/// A retry rate limit shared with other engines (a fleet's members): the engine asks it, and
/// waits for the answer, each time a scheduled retry is due. Without one, the budget's own
/// token bucket limits the rate.
class RetryPermits
{
public:
    using Answer = std::function<void(RetryPermit)>;
    virtual ~RetryPermits() = default;
    /// One retry of `key` under `budget` (ratePerSecond, burst). `done` runs later, on the
    /// event loop — never from inside acquire().
    virtual void acquire(const GuardKey &key, const BudgetConfig &budget, Answer done) = 0;
};

} // namespace rebound
