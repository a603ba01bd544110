#include "guards/RetryBudget.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace rebound {

RetryBudget::RetryBudget(const BudgetConfig &config, const Clock &clock)
    : m_config(config), m_clock(clock), m_rate(config.ratePerSecond, config.burst, clock),
      m_tokens(config.maxTokens)
{}

void RetryBudget::reconfigure(const BudgetConfig &config)
{
    if (config.maxTokens != m_config.maxTokens)
        m_tokens = config.maxTokens;
    if (config.ratePerSecond != m_config.ratePerSecond || config.burst != m_config.burst)
        m_rate.reconfigure(config.ratePerSecond, config.burst);
    m_config = config;
}

int RetryBudget::allowedConcurrentRetries() const
{
    const auto byPercent = static_cast<int>(std::floor(m_config.budgetPercent * m_active / 100.0));
    return std::max(m_config.minRetryConcurrency, byPercent);
}

bool RetryBudget::canRetry() const
{
    if (!m_rateShared && m_config.ratePerSecond > 0 && m_rate.peek() + 1e-9 < 1)
        return false;
    if (m_config.budgetPercent > 0 && m_activeRetries >= allowedConcurrentRetries())
        return false;
    if (m_config.maxTokens > 0 && !(m_tokens > m_config.maxTokens / 2))
        return false;
    // Retries of this member still running count too: they have not ended in the window yet.
    if (m_config.retryRatioPercent > 0 && ratioRetries() + m_activeRetries >= ratioAllowance())
        return false;
    return true;
}

std::optional<Duration> RetryBudget::readyIn() const
{
    // Held by what only an ending attempt frees: no time to name.
    if (m_config.budgetPercent > 0 && m_activeRetries >= allowedConcurrentRetries())
        return std::nullopt;
    if (m_config.maxTokens > 0 && !(m_tokens > m_config.maxTokens / 2))
        return std::nullopt;
    Duration wait(0);
    if (!m_rateShared && m_config.ratePerSecond > 0) {
        const double missing = 1 - m_rate.peek();
        if (missing > 1e-9) {
            if (m_config.burst < 1)
                return std::nullopt; // a bucket that never holds a token
            wait = Duration(static_cast<std::int64_t>(
                std::ceil(missing * 1000.0 / m_config.ratePerSecond - 1e-9)));
        }
    }
    if (m_config.retryRatioPercent > 0 && ratioRetries() + m_activeRetries >= ratioAllowance()) {
        if (m_activeRetries > 0 && m_activeRetries >= ratioAllowance())
            return std::nullopt; // its own running retries alone fill the allowance
        // The window moves on each second: the oldest second's retries leave it.
        const std::int64_t ms = toMs(m_clock.steadyNow());
        wait = std::max(wait, Duration(1000 - ms % 1000));
    }
    return wait;
}

int RetryBudget::headroom() const
{
    if (!canRetry())
        return 0;
    int room = std::numeric_limits<int>::max();
    if (!m_rateShared && m_config.ratePerSecond > 0)
        room = std::min(room, static_cast<int>(std::floor(m_rate.peek() + 1e-9)));
    if (m_config.budgetPercent > 0)
        room = std::min(room, allowedConcurrentRetries() - m_activeRetries);
    // The token count falls only when a retry fails, after it ran: no count to give ahead.
    if (m_config.retryRatioPercent > 0)
        room = std::min(room, ratioAllowance() - ratioRetries() - m_activeRetries);
    return std::max(0, room);
}

RetryBudget::Bucket &RetryBudget::bucketNow()
{
    const std::int64_t second = toMs(m_clock.steadyNow()) / 1000;
    Bucket &b = m_window[std::size_t(second % kRatioBuckets)];
    if (b.second != second)
        b = Bucket{second, 0, 0};
    return b;
}

int RetryBudget::sumOf(int Bucket::*field) const
{
    const std::int64_t second = toMs(m_clock.steadyNow()) / 1000;
    int sum = 0;
    for (const Bucket &b : m_window)
        if (b.second > second - kRatioBuckets && b.second <= second)
            sum += b.*field;
    return sum;
}

int RetryBudget::ratioRetries() const
{
    return sumOf(&Bucket::retries);
}

int RetryBudget::ratioAllowance() const
{
    const auto byRatio =
        static_cast<int>(std::floor(m_config.retryRatioPercent * sumOf(&Bucket::attempts) / 100.0));
    return std::max(m_config.ratioMinRetries, byRatio);
}

void RetryBudget::attemptEnded(bool isRetry)
{
    Bucket &b = bucketNow();
    ++b.attempts;
    if (isRetry)
        ++b.retries;
}

void RetryBudget::attemptStarted(bool isRetry)
{
    ++m_active;
    if (isRetry) {
        ++m_activeRetries;
        if (!m_rateShared && m_config.ratePerSecond > 0)
            (void)m_rate.tryAcquire();
    }
}

void RetryBudget::attemptFinished(bool isRetry, bool succeeded, bool mine)
{
    if (mine) {
        m_active = std::max(0, m_active - 1);
        if (isRetry)
            m_activeRetries = std::max(0, m_activeRetries - 1);
    }
    if (m_config.maxTokens > 0) {
        m_tokens = succeeded ? std::min(m_config.maxTokens, m_tokens + m_config.tokenRatio)
                             : std::max(0.0, m_tokens - 1);
    }
}

} // namespace rebound
