// Hot-path micro-benchmarks for the core engine, each shown next to a bare baseline measured in
// the same run (these machines are noisy, so ratios matter more than nanoseconds), plus the
// heap allocations per operation.
#include "../AllocationCounter.h"
#include "decision/BackoffSequence.h"
#include "guards/AdaptiveTimeout.h"
#include "guards/CircuitBreaker.h"
#include "guards/HealthMonitor.h"
#include "time/ManualClock.h"
#include "time/SeededRandom.h"
#include "time/SystemClock.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <new>
#include <random>
#include <string>
#include <vector>

using namespace rebound;
using Clk = std::chrono::steady_clock;

namespace {

template <typename T> inline void keep(T const &value)
{
    asm volatile("" : : "r,m"(value) : "memory");
}

struct Result
{
    std::string name;
    double medianNs;
    double allocsPerOp;
};

// Runs `op` in batches and reports the median batch's ns/op.
template <typename Op>
Result measure(const std::string &name, Op &&op, int batch = 200'000, int repeats = 31)
{
    for (int i = 0; i < batch; ++i) // warm-up
        op(i);
    std::vector<double> ns;
    long allocs = 0;
    for (int r = 0; r < repeats; ++r) {
        const long a0 = g_allocations.load(std::memory_order_relaxed);
        const auto t0 = Clk::now();
        for (int i = 0; i < batch; ++i)
            op(i);
        const auto t1 = Clk::now();
        allocs += g_allocations.load(std::memory_order_relaxed) - a0;
        ns.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count() / batch);
    }
    std::nth_element(ns.begin(), ns.begin() + repeats / 2, ns.end());
    return {name, ns[static_cast<std::size_t>(repeats / 2)],
            double(allocs) / (double(batch) * repeats)};
}

} // namespace

int main()
{
    std::vector<std::pair<Result, std::string>> rows; // result, baseline name

    // Baselines.
    std::atomic<std::uint64_t> counter{0};
    const Result atomicInc =
        measure("baseline: atomic increment", [&](int) { keep(counter.fetch_add(1)); });
    std::mt19937_64 mt(42);
    std::uniform_real_distribution<double> dist(0.0, 1.0);
    const Result uniformDraw =
        measure("baseline: std::uniform_real_distribution draw", [&](int) { keep(dist(mt)); });

    // Circuit breaker: decision + record, count window, closed (the steady state).
    ManualClock manual;
    BreakerConfig bc;
    bc.windowSize = 100;
    CircuitBreaker countBreaker(bc, manual, &manual);
    rows.push_back({measure("breaker tryAcquire+record (count window)",
                            [&](int i) {
                                keep(countBreaker.tryAcquire());
                                countBreaker.record(i % 10 == 0 ? CallOutcome::Failure
                                                                : CallOutcome::Success,
                                                    Duration(i % 5 == 0 ? 2500 : 10));
                            }),
                    "atomic"});
    // Time window with the real clock: includes a steady_clock read per record.
    SystemClock sys;
    BreakerConfig tc = bc;
    tc.windowType = SlidingWindowType::TimeBased;
    tc.windowSize = 60;
    CircuitBreaker timeBreaker(tc, sys);
    rows.push_back({measure("breaker tryAcquire+record (time window, system clock)",
                            [&](int i) {
                                keep(timeBreaker.tryAcquire());
                                timeBreaker.record(i % 10 == 0 ? CallOutcome::Failure
                                                               : CallOutcome::Success,
                                                   Duration(i % 5 == 0 ? 2500 : 10));
                            }),
                    "atomic"});

    // Backoff next delay.
    SeededRandom rng(7);
    for (JitterMode m : {JitterMode::Full, JitterMode::Decorrelated, JitterMode::None}) {
        BackoffConfig cfg;
        cfg.jitter = m;
        cfg.maxAttempts = 1'000'000;
        auto seq = std::make_shared<BackoffSequence>(cfg);
        rows.push_back({measure("backoff next delay (" + toText(m).toStdString() + " jitter)",
                                [&, seq](int i) {
                                    if (i % 64 == 0)
                                        seq->reset(cfg); // realistic: sequences are short
                                    keep(seq->next(rng).delayMs);
                                }),
                        "uniform"});
    }

    // Percentile update and query.
    LatencyHistogram hist(200);
    rows.push_back(
        {measure("percentile update (latency histogram add)",
                 [&](int i) { hist.add(std::chrono::microseconds((i * 7919) % 2'000'000)); }),
         "atomic"});
    rows.push_back({measure(
                        "percentile query p95 (2 240 buckets)",
                        [&](int) { keep(hist.percentile(0.95).count()); }, 20'000),
                    "atomic"});

    // Health score: record + score, with the manual clock moving.
    HealthMonitor health(HealthConfig{}, manual);
    rows.push_back({measure("health record + score",
                            [&](int i) {
                                health.record(i % 7 == 0, Duration(i % 400), i % 50 == 0);
                                keep(health.score().score);
                            }),
                    "atomic"});

    std::printf("| operation | median ns/op | baseline | ratio | heap allocs/op |\n");
    std::printf("|---|---:|---|---:|---:|\n");
    std::printf("| %s | %.2f | | 1.00 | %.3f |\n", atomicInc.name.c_str(), atomicInc.medianNs,
                atomicInc.allocsPerOp);
    std::printf("| %s | %.2f | | 1.00 | %.3f |\n", uniformDraw.name.c_str(), uniformDraw.medianNs,
                uniformDraw.allocsPerOp);
    for (const auto &[r, base] : rows) {
        const Result &b = base == "atomic" ? atomicInc : uniformDraw;
        std::printf("| %s | %.2f | %s | %.2f | %.3f |\n", r.name.c_str(), r.medianNs,
                    base == "atomic" ? "atomic increment" : "uniform_real draw",
                    r.medianNs / b.medianNs, r.allocsPerOp);
    }
    return 0;
}
