#include "RetryBudget.h"

#include <algorithm>
#include <cmath>

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
