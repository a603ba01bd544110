#pragma once

#include "decision/BackoffSequence.h"
#include "history/HistoryStore.h"
#include "remote/RemoteTask.h"
#include "remote/TaskTransport.h"
#include "time/TimerSource.h"

#include <QSet>

#include <functional>

namespace rebound {

/// What the engine asks a service to do to a task.
enum class ActionKind
{
    Attempt,         ///< an automatic retry
    OperatorAttempt, ///< "retry now", also of a dead task
    Cancel,          ///< retries stopped by policy
    OperatorCancel,  ///< "cancel" by an operator
    AbortTimeout,    ///< end a running attempt that overran its timeout
    AbortOperator    ///< end a running attempt an operator gave up on
};

/// What varies within one kind of action.
struct ActionDetails
{
    std::int64_t deadlineMs = 0; ///< attempts: the attempt's timeout, sent as deadlineMs (0: none)
    QString cancelReason;        ///< policy cancels: exhausted | deadline | not-retryable
};

/// Crash-safe actions: each is built once (If-Match, an Idempotency-Key derived from endpoint,
/// task, attempt and action, the body), written to the history's outbox before it is sent,
/// and sent again with the same bytes — after a refusal that did nothing (overload, transport,
/// "in flight"), with the core backoff and jitter; after a crash, at start. The final answer
/// (accepted, or refused for good: 409, 412, 404, …) goes to the caller once the entry has left
/// the outbox.
class ActionOutbox final
{
    Q_DISABLE_COPY_MOVE(ActionOutbox)

public:
    using TransportOf = std::function<TaskTransport *(const QString &endpoint)>;
    using Answered = std::function<void(const OutboxEntry &, const ApiResponse &)>;

    ActionOutbox(HistoryStore &history, const Clock &clock, TimerSource &timers,
                 RandomSource &rng, TransportOf transportOf);
    /// Drops pending re-sends (the entries stay in the outbox for the next start).
    ~ActionOutbox();

    /// The one place an action's entry is built. `attemptNumber` is the attempt the action
    /// follows (start, cancel) or ends (abort).
    static OutboxEntry make(const QString &endpoint, const RemoteTask &task, ActionKind kind,
                            int attemptNumber, const ActionDetails &details = {});
    /// Writes the entry down, then sends it. An error (and nothing sent) when it could not be
    /// written: without the outbox a crash could double the action.
    Result<void> submit(const OutboxEntry &entry, Answered answered);
    /// Sends again, unchanged, what the outbox holds for `endpoint` (written before a crash).
    void resume(const QString &endpoint, const Answered &answered);
    /// The HTTP request an entry is sent as.
    static ApiRequest request(const OutboxEntry &e);
    /// A final refusal in an operator's words (logged as action_refused).
    static QString refusal(const OutboxEntry &e, const ApiResponse &r);
    /// The backoff between re-sends of one entry.
    static BackoffConfig resendBackoff();

private:
    void send(const OutboxEntry &e, Answered answered, std::shared_ptr<BackoffSequence> backoff,
              int tries);

    HistoryStore &m_history;
    const Clock &m_clock;
    TimerSource &m_timers;
    RandomSource &m_rng;
    TransportOf m_transportOf;
    QSet<TimerId> m_resends; ///< re-sends waiting on the timer source
};

} // namespace rebound
