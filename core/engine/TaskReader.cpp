#include "engine/TaskReader.h"

#include "engine/TaskBook.h"
#include "remote/TaskApi.h"
#include "remote/TaskJson.h"

#include <algorithm>
#include <optional>

namespace rebound {

namespace {
// A key no task has (task keys are endpoint + '\n' + id): the backfill's next token.
const QString kPumpKey = QStringLiteral("\x01pump");
} // namespace

TaskReader::TaskReader(const Clock &clock, TimerSource &timers, TransportOf transportOf,
                       TaskRead taskRead, AttemptsRead attemptsRead, ReadFailed readFailed)
    : m_clock(clock), m_transportOf(std::move(transportOf)), m_taskRead(std::move(taskRead)),
      m_attemptsRead(std::move(attemptsRead)), m_readFailed(std::move(readFailed)),
      m_backfillRate(kBackfillPerSecond, kBackfillPerSecond, clock), m_later(clock, timers)
{
    m_later.setHandler([this](const QString &key) {
        if (key == kPumpKey) {
            pumpBackfill();
            return;
        }
        const auto it = m_reads.constFind(key);
        if (it != m_reads.constEnd() && !it->inFlight && !it->queued)
            send(key);
    });
}

void TaskReader::readTask(const QString &endpoint, const QString &taskId)
{
    TaskTransport *t = m_transportOf(endpoint);
    if (!t)
        return;
    t->send(TaskApi::getTask(taskId), [this, endpoint](const ApiResponse &r) {
        if (!r.isSuccess())
            return;
        if (auto task = TaskJson::decodeTask(r.body))
            m_taskRead(endpoint, *task);
    });
}

void TaskReader::readAttempts(const QString &endpoint, const QString &taskId, Priority priority)
{
    const QString key = TaskBook::key(endpoint, taskId);
    auto it = m_reads.find(key);
    const bool added = it == m_reads.end();
    if (added)
        it = m_reads.insert(key, Read{endpoint, taskId});
    Read &r = *it;
    if (r.inFlight) {
        r.again = true;
        return;
    }
    if (!added && priority == Priority::Backfill)
        return;     // already queued, or waiting to be tried again
    if (r.queued) { // a gap in a task still waiting for its backfill: now it is urgent
        r.queued = false;
        --m_backfillQueued;
    }
    if (priority == Priority::Backfill) {
        r.queued = true;
        ++m_backfillQueued;
        m_backfill.push_back(key);
        pumpBackfill();
        return;
    }
    m_later.cancel(key);
    send(key);
}

void TaskReader::send(const QString &key)
{
    Read &r = m_reads[key];
    TaskTransport *t = m_transportOf(r.endpoint);
    if (!t) {
        m_reads.remove(key);
        return;
    }
    r.inFlight = true;
    r.again = false;
    t->send(TaskApi::getAttempts(r.taskId),
            [this, key](const ApiResponse &answer) { answered(key, answer); });
}

void TaskReader::answered(const QString &key, const ApiResponse &answer)
{
    const auto it = m_reads.find(key);
    if (it == m_reads.end())
        return; // forgotten meanwhile
    Read &r = *it;
    r.inFlight = false;
    if (r.backfillSlot) {
        r.backfillSlot = false;
        --m_backfillInFlight;
    }
    std::optional<QList<RemoteAttempt>> attempts;
    QString why;
    if (answer.isSuccess()) {
        if (auto decoded = TaskJson::decodeAttempts(answer.body))
            attempts = std::move(*decoded);
        else
            why = QStringLiteral("unreadable attempt list: %1").arg(decoded.error().message);
    } else {
        why = answer.describe();
    }
    if (!attempts) { // failed or unreadable: ask again later
        const int step = std::min(r.failures++, 6);
        m_later.schedule(key, m_clock.steadyNow() + Duration(1000LL << step));
        if (m_readFailed)
            m_readFailed(r.endpoint, r.taskId, why);
    } else {
        const QString endpoint = r.endpoint, taskId = r.taskId;
        if (r.again) {
            r.failures = 0;
            send(key);
        } else {
            m_reads.erase(it);
        }
        m_attemptsRead(endpoint, taskId, *attempts);
    }
    pumpBackfill();
}

void TaskReader::endpointBack(const QString &endpoint)
{
    QStringList waiting;
    for (auto it = m_reads.begin(); it != m_reads.end(); ++it) {
        if (it->endpoint == endpoint && it->failures > 0 && !it->inFlight && !it->queued) {
            it->failures = 0;
            waiting << it.key();
        }
    }
    for (const QString &key : std::as_const(waiting)) {
        m_later.cancel(key);
        send(key);
    }
}

void TaskReader::pumpBackfill()
{
    while (m_backfillInFlight < kBackfillInFlight && !m_backfill.empty()) {
        const QString key = m_backfill.front();
        const auto it = m_reads.find(key);
        if (it == m_reads.end() || !it->queued) {
            m_backfill.pop_front(); // forgotten, or promoted to Now meanwhile
            continue;
        }
        if (!m_backfillRate.tryAcquire()) {
            m_later.schedule(kPumpKey,
                             m_clock.steadyNow() +
                                 std::max(Duration(1), m_backfillRate.timeUntilAvailable()));
            return;
        }
        m_backfill.pop_front();
        it->queued = false;
        --m_backfillQueued;
        it->backfillSlot = true;
        ++m_backfillInFlight;
        send(key);
    }
}

void TaskReader::stop()
{
    for (auto it = m_reads.cbegin(); it != m_reads.cend(); ++it)
        m_later.cancel(it.key());
    m_later.cancel(kPumpKey);
    m_reads.clear();
    m_backfill.clear();
    m_backfillQueued = 0;
    m_backfillInFlight = 0;
}

void TaskReader::forget(const QString &endpoint, const QString &taskId)
{
    const QString key = TaskBook::key(endpoint, taskId);
    const auto it = m_reads.find(key);
    if (it == m_reads.end())
        return;
    if (it->queued)
        --m_backfillQueued;
    if (it->backfillSlot)
        --m_backfillInFlight;
    m_reads.erase(it);
    m_later.cancel(key);
    pumpBackfill();
}

} // namespace rebound
