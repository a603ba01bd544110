#include "RetrySamples.h"

#include "engine/TaskRow.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace rebound {

RetrySamples::Bucket &RetrySamples::at(std::int64_t nowMs)
{
    const std::int64_t start = nowMs / kBucketMs * kBucketMs;
    if (m_buckets.empty() || m_buckets.back().start != start) {
        m_buckets.push_back(Bucket{start, {}, {}, {}, 0, 0});
        while (m_buckets.size() > kMaxBuckets)
            m_buckets.pop_front();
    }
    return m_buckets.back();
}

void RetrySamples::record(const QList<TaskRow> &rows, std::int64_t nowMs)
{
    Bucket &b = at(nowMs);
    for (const TaskRow &t : rows) {
        const QString &key = t.key;
        if (const auto &a = t.remote.lastAttempt;
            a && a->durationMs && a->outcome != AttemptOutcome::Running) {
            int &seen = m_seenAttempt[key];
            if (a->number > seen) {
                seen = a->number;
                if (b.durations.size() < kMaxPerBucket)
                    b.durations.push_back(double(*a->durationMs) / 1000.0);
                // Time to recovery: from a task's first failure to its success.
                const std::int64_t ended = a->endedAtMs.value_or(t.remote.updatedAtMs);
                if (a->outcome != AttemptOutcome::Succeeded) {
                    if (!m_firstFailure.contains(key))
                        m_firstFailure.insert(key, ended);
                } else if (const auto it = m_firstFailure.constFind(key);
                           it != m_firstFailure.constEnd()) {
                    if (b.recoveries.size() < kMaxPerBucket)
                        b.recoveries.push_back(double(ended - *it) / 1000.0);
                    m_firstFailure.erase(it);
                }
            }
        }
        if (t.decision && !t.foreignDecision) { // this console's retries
            if (const auto *r = std::get_if<RetryPlan>(&*t.decision)) {
                std::int64_t &seen = m_seenDecision[key];
                const std::int64_t stamp = toMs(t.decidedAt);
                if (stamp != seen) {
                    seen = stamp;
                    ++b.retries;
                    if (b.delays.size() < kMaxPerBucket)
                        b.delays.push_back(double(r->delay.count()) / 1000.0);
                }
            }
        }
    }
}

double RetrySamples::percentile(std::vector<double> v, double q)
{
    if (v.empty())
        return 0;
    const auto k = static_cast<std::size_t>(
        std::clamp(std::ceil(q * double(v.size())) - 1, 0.0, double(v.size() - 1)));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return v[k];
}

double RetrySamples::mean(const std::vector<double> &v)
{
    return v.empty() ? 0 : std::accumulate(v.begin(), v.end(), 0.0) / double(v.size());
}

} // namespace rebound
