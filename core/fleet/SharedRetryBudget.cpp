#include "fleet/SharedRetryBudget.h"

#include "support/JsonLog.h"
#include "telemetry/PrometheusText.h"

#include <QCryptographicHash>

#include <algorithm>
#include <cmath>

namespace rebound {

namespace {

// GCRA (the generic cell rate algorithm) for one key, on Redis's clock so that members whose
// clocks disagree still share one limit. KEYS[1] holds the theoretical arrival time (TAT) in
// microseconds; ARGV[1] is the emission interval (1 s / rate), ARGV[2] the burst tolerance
// ((burst - 1) x interval), both in microseconds. Returns {1, 0} when a retry may start now,
// {0, µs until one could}. The TAT is written with %.0f: Lua 5.1's tostring keeps only 14
// significant digits, too few for microseconds since 1970.
constexpr char kScript[] = R"(local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local wait = tat - tonumber(ARGV[2]) - now
if wait > 0 then return {0, wait} end
tat = tat + interval
redis.call('SET', KEYS[1], string.format('%.0f', tat), 'PX', math.floor((tat - now) / 1000) + 1000)
return {1, 0}
)";

} // namespace

QByteArray SharedRetryBudget::script()
{
    return QByteArray(kScript);
}

QByteArray SharedRetryBudget::scriptSha()
{
    return QCryptographicHash::hash(script(), QCryptographicHash::Sha1).toHex();
}

SharedRetryBudget::SharedRetryBudget(RedisWire &wire, const Clock &clock, TimerSource &timers,
                                     Config config, std::function<int()> members, QObject *parent)
    : QObject(parent), m_wire(wire), m_clock(clock), m_timers(timers), m_config(std::move(config)),
      m_members(std::move(members))
{
    m_wire.setLinkListener([this](bool up, const QString &cause) { onLink(up, cause); });
    if (m_wire.isUp())
        load();
}

SharedRetryBudget::~SharedRetryBudget()
{
    m_wire.setLinkListener({});
    *m_alive = false;
    if (m_probe)
        m_timers.cancel(m_probe);
}

QByteArray SharedRetryBudget::keyOf(const GuardKey &key) const
{
    return m_config.keyPrefix + "/budget/" + key.endpoint.toUtf8() + '/' + key.taskType.toUtf8();
}

void SharedRetryBudget::later(std::function<void()> f)
{
    m_timers.schedule(m_clock.steadyNow(), [alive = m_alive, f = std::move(f)] {
        if (*alive)
            f();
    });
}

void SharedRetryBudget::onLink(bool up, const QString &cause)
{
    if (up)
        load();
    else
        setMode(Mode::Local, QStringLiteral("redis down: %1").arg(cause));
}

void SharedRetryBudget::load()
{
    if (m_loading)
        return;
    m_loading = true;
    auto answered = std::make_shared<bool>(false);
    const auto probeLater = [this] {
        if (!m_probe)
            m_probe = m_timers.schedule(m_clock.steadyNow() + m_config.probeEvery, [this] {
                m_probe = 0;
                if (m_mode == Mode::Local && m_wire.isUp())
                    load();
            });
    };
    const TimerId timer = m_timers.schedule(
        m_clock.steadyNow() + m_config.replyTimeout, [this, answered, probeLater] {
            *answered = true;
            m_loading = false;
            setMode(Mode::Local, QStringLiteral("redis slow: no answer within %1 ms")
                                     .arg(m_config.replyTimeout.count()));
            probeLater();
        });
    m_wire.command({QByteArrayLiteral("SCRIPT"), QByteArrayLiteral("LOAD"), script()},
                   [this, alive = m_alive, answered, timer, probeLater](Result<RedisReply> r) {
                       if (!*alive || *answered)
                           return;
                       *answered = true;
                       m_timers.cancel(timer);
                       m_loading = false;
                       if (r && r->type == RedisReply::Type::String && r->text == scriptSha()) {
                           setMode(Mode::Shared, {});
                           return;
                       }
                       setMode(Mode::Local,
                               r ? QStringLiteral("redis refused the budget script: %1")
                                       .arg(QString::fromUtf8(r->text))
                                 : QStringLiteral("redis down: %1").arg(r.error().message));
                       if (r || m_wire.isUp())
                           probeLater();
                   });
}

void SharedRetryBudget::setMode(Mode mode, const QString &cause)
{
    if (m_mode == mode && m_cause == cause)
        return;
    const bool changed = m_mode != mode;
    m_mode = mode;
    m_cause = cause;
    if (mode == Mode::Shared)
        m_local.clear(); // a later fallback starts from full local buckets
    JsonLog::event(lcFleet, mode == Mode::Shared ? QtInfoMsg : QtWarningMsg,
                   mode == Mode::Shared ? QStringLiteral("budget_shared")
                                        : QStringLiteral("budget_local"),
                   {{QStringLiteral("redis"), m_wire.address()},
                    {QStringLiteral("cause"), cause},
                    {QStringLiteral("divisor"), divisor()}});
    if (changed)
        Q_EMIT modeChanged();
}

void SharedRetryBudget::acquire(const GuardKey &key, const BudgetConfig &budget, Answer done)
{
    if (budget.ratePerSecond <= 0) { // no rate limit configured: nothing to share
        later([done = std::move(done)] { done(RetryPermit{true, Duration(0)}); });
        return;
    }
    if (m_mode == Mode::Local) {
        answerLocally(key, budget, std::move(done));
        return;
    }
    eval(key, budget, std::move(done), false);
}

void SharedRetryBudget::answerLocally(const GuardKey &key, const BudgetConfig &budget, Answer done)
{
    const int n = divisor();
    const double rate = budget.ratePerSecond / n;
    const double burst = std::max(1.0, budget.burst / n);
    Local &l = m_local[key];
    if (!l.bucket)
        l.bucket = std::make_shared<TokenBucket>(rate, burst, m_clock);
    else if (l.rate != rate || l.burst != burst)
        l.bucket->reconfigure(rate, burst);
    l.rate = rate;
    l.burst = burst;
    RetryPermit permit;
    permit.granted = l.bucket->tryAcquire();
    if (!permit.granted)
        permit.retryIn = l.bucket->timeUntilAvailable();
    ++(permit.granted ? m_granted : m_refused)[int(Mode::Local)];
    later([done = std::move(done), permit] { done(permit); });
}

void SharedRetryBudget::eval(const GuardKey &key, const BudgetConfig &budget, Answer done,
                             bool reloaded)
{
    const qint64 interval = std::max<qint64>(1, std::llround(1e6 / budget.ratePerSecond));
    const qint64 tolerance = std::llround((std::max(1.0, budget.burst) - 1) * double(interval));
    auto answered = std::make_shared<bool>(false);
    auto shared = std::make_shared<Answer>(std::move(done));
    const TimerId timer = m_timers.schedule(
        m_clock.steadyNow() + m_config.replyTimeout, [this, answered, shared, key, budget] {
            *answered = true;
            ++m_timeouts;
            setMode(Mode::Local, QStringLiteral("redis slow: no answer within %1 ms")
                                     .arg(m_config.replyTimeout.count()));
            if (!m_probe)
                m_probe = m_timers.schedule(m_clock.steadyNow() + m_config.probeEvery, [this] {
                    m_probe = 0;
                    if (m_mode == Mode::Local && m_wire.isUp())
                        load();
                });
            answerLocally(key, budget, std::move(*shared));
        });
    m_wire.command(
        {QByteArrayLiteral("EVALSHA"), scriptSha(), QByteArrayLiteral("1"), keyOf(key),
         QByteArray::number(interval), QByteArray::number(tolerance)},
        [this, alive = m_alive, answered, shared, timer, key, budget,
         reloaded](Result<RedisReply> r) {
            if (!*alive || *answered)
                return;
            *answered = true;
            m_timers.cancel(timer);
            if (!r) {
                setMode(Mode::Local, QStringLiteral("redis down: %1").arg(r.error().message));
                answerLocally(key, budget, std::move(*shared));
                return;
            }
            if (r->type == RedisReply::Type::Error && r->text.startsWith("NOSCRIPT") && !reloaded) {
                // Redis lost its scripts (SCRIPT FLUSH, a restart behind a proxy): load it
                // again; the two commands run in order on the one connection.
                m_wire.command({QByteArrayLiteral("SCRIPT"), QByteArrayLiteral("LOAD"), script()},
                               [](Result<RedisReply>) {});
                eval(key, budget, std::move(*shared), true);
                return;
            }
            const auto &e = r->elements;
            if (r->type != RedisReply::Type::Array || e.size() != 2 ||
                e[0].type != RedisReply::Type::Integer || e[1].type != RedisReply::Type::Integer) {
                setMode(Mode::Local, QStringLiteral("redis answered the budget script with "
                                                    "something else: %1")
                                         .arg(QString::fromUtf8(r->text)));
                load(); // reloading is the probe: the mode comes back when it succeeds
                answerLocally(key, budget, std::move(*shared));
                return;
            }
            RetryPermit permit;
            permit.granted = e[0].integer == 1;
            permit.retryIn = Duration((e[1].integer + 999) / 1000);
            ++(permit.granted ? m_granted : m_refused)[int(Mode::Shared)];
            (*shared)(permit);
        });
}

QByteArray SharedRetryBudget::metricsText() const
{
    PrometheusText p;
    p.family("rebound_fleet_budget_shared", "gauge",
             "1 while the retry rate limit is shared through Redis, 0 while this member "
             "limits itself to 1/N of it.");
    p.sample("rebound_fleet_budget_shared", {}, m_mode == Mode::Shared ? 1 : 0);
    p.family("rebound_fleet_budget_divisor", "gauge",
             "N: the share of the budget this member takes while Redis is away.");
    p.sample("rebound_fleet_budget_divisor", {}, divisor());
    p.family("rebound_fleet_budget_permits_total", "counter",
             "Retry permits asked for, by where they were decided and the answer.");
    for (const Mode m : {Mode::Shared, Mode::Local}) {
        const QString where = m == Mode::Shared ? QStringLiteral("redis") : QStringLiteral("local");
        p.sample("rebound_fleet_budget_permits_total",
                 {{QStringLiteral("decided_by"), where},
                  {QStringLiteral("answer"), QStringLiteral("granted")}},
                 double(m_granted[int(m)]));
        p.sample("rebound_fleet_budget_permits_total",
                 {{QStringLiteral("decided_by"), where},
                  {QStringLiteral("answer"), QStringLiteral("refused")}},
                 double(m_refused[int(m)]));
    }
    p.family("rebound_fleet_budget_redis_timeouts_total", "counter",
             "Budget scripts Redis did not answer within the reply timeout.");
    p.sample("rebound_fleet_budget_redis_timeouts_total", {}, double(m_timeouts));
    return p.text();
}

} // namespace rebound
