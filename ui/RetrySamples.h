#pragma once

#include <QHash>
#include <QList>
#include <QString>

#include <cstdint>
#include <deque>
#include <vector>

namespace rebound {

struct TaskRow;

/// What the latency and pressure charts draw, in 10 s buckets of wall time (an hour kept):
/// attempt durations, the backoff delays this console chose, times from a task's first failure
/// to its success, retries decided, and the concurrent retries the budgets allowed. Each
/// attempt and each decision counts once, however often its row comes again.
class RetrySamples final
{
public:
    struct Bucket
    {
        std::int64_t start = 0;        ///< wall ms
        std::vector<double> durations; ///< seconds; capped reservoir
        std::vector<double> delays;
        std::vector<double> recoveries; ///< first failure -> success, seconds
        int retries = 0;
        int budget = 0; ///< concurrent retries the budgets allowed, sampled
    };
    static constexpr int kBucketMs = 10'000;
    static constexpr int kMaxBuckets = 360; ///< one hour
    static constexpr std::size_t kMaxPerBucket = 5000;

    void record(const QList<TaskRow> &rows, std::int64_t nowMs);
    void sampleBudget(int allowed, std::int64_t nowMs) { at(nowMs).budget = allowed; }
    const std::deque<Bucket> &buckets() const { return m_buckets; }

    /// The q-quantile (nearest rank) of `v`; 0 when empty.
    static double percentile(std::vector<double> v, double q);
    static double mean(const std::vector<double> &v);

private:
    Bucket &at(std::int64_t nowMs);

    std::deque<Bucket> m_buckets;
    QHash<QString, int> m_seenAttempt;
    QHash<QString, std::int64_t> m_seenDecision;
    QHash<QString, std::int64_t> m_firstFailure; ///< wall ms of a task's first failed attempt
};

} // namespace rebound
