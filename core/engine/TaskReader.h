#pragma once

#include "history/HistoryStore.h"
#include "remote/RemoteTask.h"
#include "remote/TaskTransport.h"
#include "support/TokenBucket.h"
#include "time/Clock.h"
#include "time/TimerQueue.h"

#include <QHash>

#include <deque>
#include <functional>

namespace rebound {

/// Reads tasks again when the engine cannot trust what it has: a task after a refusal, the
/// attempts that began or ended between two looks, the attempts a task already had when it was
/// first seen. One attempts request per task at a time; one asked for while its read is on the
/// way is read again after it (that answer may predate what was asked), and one that fails is
/// read again after a backoff (1 s doubling to 60 s) until it is answered or forgotten — a task
/// whose history is incomplete never waits for a later gap to ask again.
class TaskReader final
{
    Q_DISABLE_COPY_MOVE(TaskReader)

public:
    using TransportOf = std::function<TaskTransport *(const QString &endpoint)>;
    using TaskRead = std::function<void(const QString &endpoint, const RemoteTask &task)>;
    using AttemptsRead = std::function<void(const QString &endpoint, const QString &taskId,
                                            const QList<RemoteAttempt> &attempts)>;

    /// Now: sent at once (a gap just seen, a task created while watching). Backfill: a task
    /// that existed before this engine looked; lowest priority, paced so that a first sync of
    /// a million tasks never sends a million requests at once.
    enum class Priority
    {
        Now,
        Backfill
    };
    /// Backfill reads in flight at once, and per second (a fifth of an endpoint's default
    /// request rate: polls and actions keep the rest).
    static constexpr int kBackfillInFlight = 2;
    static constexpr double kBackfillPerSecond = 10;

    /// An attempts read that failed (it is asked again later); `why` in plain words.
    using ReadFailed =
        std::function<void(const QString &endpoint, const QString &taskId, const QString &why)>;

    TaskReader(const Clock &clock, TimerSource &timers, TransportOf transportOf, TaskRead taskRead,
               AttemptsRead attemptsRead, ReadFailed readFailed = {});

    void readTask(const QString &endpoint, const QString &taskId);
    void readAttempts(const QString &endpoint, const QString &taskId,
                      Priority priority = Priority::Now);
    void forget(const QString &endpoint, const QString &taskId);
    /// `endpoint` answers again: its reads waiting after a failure are sent at once, their
    /// backoff started afresh.
    void endpointBack(const QString &endpoint);
    /// Forgets every read (the engine stops): nothing is sent again.
    void stop();
    /// Backfill reads waiting for their turn.
    qsizetype backfillQueued() const { return m_backfillQueued; }

private:
    struct Read
    {
        QString endpoint;
        QString taskId;
        int failures = 0;
        bool inFlight = false;
        bool again = false;        ///< asked for again while in flight
        bool queued = false;       ///< waiting in the backfill queue
        bool backfillSlot = false; ///< in flight on one of the backfill's slots
    };
    void send(const QString &key);
    void answered(const QString &key, const ApiResponse &r);
    void pumpBackfill();

    const Clock &m_clock;
    TransportOf m_transportOf;
    TaskRead m_taskRead;
    AttemptsRead m_attemptsRead;
    ReadFailed m_readFailed;
    QHash<QString, Read> m_reads; ///< by task key: attempts reads asked for and not yet answered
    std::deque<QString> m_backfill;
    qsizetype m_backfillQueued = 0;
    int m_backfillInFlight = 0;
    TokenBucket m_backfillRate;
    TimerQueue m_later; ///< failed reads' next try, and the backfill's next token
};

} // namespace rebound
