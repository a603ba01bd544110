#pragma once

#include "HttpAnswer.h"
#include "remote/Fence.h"
#include "remote/RemoteTask.h"
#include "time/Clock.h"

#include <QHash>
#include <QJsonObject>

#include <functional>
#include <optional>

namespace rebound::taskd {

class TaskBackend;
class TaskStore;
class TaskdMetrics;
struct TaskRecord;

/// The Task API's actions on a task — start an attempt, cancel, abort the running attempt —
/// with what makes them safe to repeat and to race: If-Match against the task's version
/// (strong comparison), Idempotency-Key replay (scoped by route, kept across restarts, 409
/// while the first request is in flight, 422 for a reused key with another body), and fleet
/// fences (a lower revision than the shard's highest is refused with 409 stale-fence).
class ActionHandler final
{
public:
    enum class Action
    {
        StartAttempt,
        Cancel,
        AbortAttempt
    };
    /// What an action request carries besides its route.
    struct Request
    {
        QByteArray idempotencyKey;
        QByteArray ifMatch;
        QByteArray fence; ///< Rebound-Fence (empty: none)
        QByteArray body;
    };
    /// Starts the task's next attempt (records it and hands it to the backend).
    using BeginAttempt =
        std::function<void(TaskRecord &task, AttemptReason reason, std::int64_t deadlineMs)>;

    ActionHandler(TaskStore &store, TaskBackend &backend, BeginAttempt begin, TaskdMetrics &metrics,
                  const Clock &clock);
    ActionHandler(const ActionHandler &) = delete;
    ActionHandler &operator=(const ActionHandler &) = delete;

    /// Carries out `action` on the task `id` (which exists); `idemKey` gets the scoped key of
    /// an action that was carried out (its replay entry is in flight until answered()).
    HttpAnswer act(const Request &request, const QString &id, Action action, int attemptNumber,
                   QString &idemKey);
    /// The answer of the action under `idemKey` has gone out: a repeat now replays it.
    void answered(const QString &idemKey);
    /// `POST /v1/fences`: a member announces the fence of a shard it claimed.
    HttpAnswer announceFence(const QByteArray &body);
    /// A journal record of this handler's ("fence:…", "idem:…"); false for any other.
    bool restore(const QString &key, const QJsonObject &record);

private:
    struct IdempotencyEntry
    {
        QByteArray bodyHash;
        bool inFlight = true;
        HttpAnswer response;
    };
    /// Refused (409) when below the highest fence seen for its shard, else kept as the highest.
    std::optional<HttpAnswer> admitFence(const Fence &fence, bool announced);
    /// Applies an action whose preconditions and body passed; fills `r` or returns a problem.
    std::optional<HttpAnswer> apply(TaskRecord &rec, Action action, int attemptNumber,
                                    const QJsonObject &body, HttpAnswer &r);
    void endRunning(TaskRecord &rec, AttemptOutcome outcome, const QString &type,
                    const QString &title);

    TaskStore &m_store;
    TaskBackend &m_backend;
    BeginAttempt m_begin;
    TaskdMetrics &m_metrics;
    const Clock &m_clock;
    QHash<QString, IdempotencyEntry> m_idempotency;
    QHash<int, std::int64_t> m_fences; ///< the highest Rebound-Fence revision seen, per shard
};

} // namespace rebound::taskd
