#pragma once

#include "fleet/RedisWire.h"
#include "guards/RetryPermits.h"
#include "support/TokenBucket.h"
#include "time/Clock.h"
#include "time/TimerSource.h"

#include <QHash>
#include <QObject>

#include <algorithm>
#include <functional>
#include <memory>

namespace rebound {

/// The retry rate limit of a fleet, shared through Redis: one GCRA per (endpoint, task type)
/// on Redis's own clock, run by a Lua script loaded once (SCRIPT LOAD) and called by its hash
/// (EVALSHA), so every member's retries of a type draw on one ratePerSecond / burst.
///
/// Redis down, or slower than the reply timeout: each member limits itself to 1/N of the
/// budget (N = live members, from etcd) with a local token bucket, says so (mode(), metrics,
/// modeChanged), and goes back to the shared budget once Redis answers a script load again
/// (asked every probe interval).
class SharedRetryBudget final : public QObject, public RetryPermits
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SharedRetryBudget)

public:
    struct Config
    {
        QByteArray keyPrefix = "rebound"; ///< keys are <prefix>/budget/<endpoint>/<type>
        Duration replyTimeout{250};
        Duration probeEvery{1000};
    };
    enum class Mode
    {
        Shared,
        Local
    };

    /// `members` gives the live member count (at least 1 is used).
    SharedRetryBudget(RedisWire &wire, const Clock &clock, TimerSource &timers, Config config,
                      std::function<int()> members, QObject *parent = nullptr);
    ~SharedRetryBudget() override;

    void acquire(const GuardKey &key, const BudgetConfig &budget, Answer done) override;

    Mode mode() const { return m_mode; }
    /// Why the budget is local (empty while shared).
    QString cause() const { return m_cause; }
    QByteArray keyOf(const GuardKey &key) const;
    /// N: the live members, at least 1 (each takes 1/N while the budget is local).
    int divisor() const { return std::max(1, m_members ? m_members() : 1); }
    /// The script's SHA-1, as Redis names it.
    static QByteArray scriptSha();
    static QByteArray script();
    /// Prometheus text (0.0.4): the mode, the divisor in use, the permits granted and refused
    /// by where they were decided.
    QByteArray metricsText() const;

Q_SIGNALS:
    void modeChanged();

private:
    struct Local
    {
        std::shared_ptr<TokenBucket> bucket;
        double rate = -1;
        double burst = -1;
    };
    void onLink(bool up, const QString &cause);
    void load();
    void setMode(Mode mode, const QString &cause);
    void answerLocally(const GuardKey &key, const BudgetConfig &budget, Answer done);
    void eval(const GuardKey &key, const BudgetConfig &budget, Answer done, bool reloaded);
    void later(std::function<void()> f);

    RedisWire &m_wire;
    const Clock &m_clock;
    TimerSource &m_timers;
    Config m_config;
    std::function<int()> m_members;
    Mode m_mode = Mode::Local;
    QString m_cause = QStringLiteral("connecting to redis");
    bool m_loading = false;
    TimerId m_probe = 0;
    QHash<GuardKey, Local> m_local;
    std::shared_ptr<bool> m_alive = std::make_shared<bool>(true);
    quint64 m_granted[2] = {0, 0}; ///< by Mode
    quint64 m_refused[2] = {0, 0};
    quint64 m_timeouts = 0;
};

} // namespace rebound
