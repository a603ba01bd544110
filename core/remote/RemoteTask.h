#pragma once

#include "decision/Failure.h"
#include "decision/ProblemDetails.h"
#include "support/Boxed.h"

#include <QList>
#include <QMap>
#include <QString>

#include <cstdint>
#include <optional>

namespace rebound {

enum class RemoteState
{
    Pending,
    Running,
    Succeeded,
    Failed,
    Cancelled
};
enum class AttemptOutcome
{
    Running,
    Succeeded,
    Failed,
    Timeout
};
enum class AttemptReason
{
    Initial,
    Auto,
    Operator
};

QString toText(RemoteState s);
QString toText(AttemptOutcome o);
QString toText(AttemptReason r);
std::optional<RemoteState> remoteStateFromText(const QString &s);
std::optional<AttemptOutcome> attemptOutcomeFromText(const QString &s);
std::optional<AttemptReason> attemptReasonFromText(const QString &s);

/// One attempt as the Task API reports it. Times are ms since the Unix epoch (UTC).
struct RemoteAttempt
{
    int number = 0;
    std::int64_t startedAtMs = 0;
    std::optional<std::int64_t> endedAtMs;
    std::optional<std::int64_t> durationMs;
    AttemptOutcome outcome = AttemptOutcome::Running;
    std::optional<int> httpStatus;
    std::optional<std::int64_t> retryAfterMs;
    Boxed<ProblemDetails> problem; ///< on the heap: most attempts have none
    QString traceId;
    AttemptReason reason = AttemptReason::Initial;

    bool ended() const { return outcome != AttemptOutcome::Running; }

    friend bool operator==(const RemoteAttempt &, const RemoteAttempt &) = default;
};

/// How an attempt's ending reads as a call failure (for classification).
Failure failureOf(const RemoteAttempt &attempt);

/// A task as the Task API reports it.
struct RemoteTask
{
    QString id;
    QString type;
    RemoteState state = RemoteState::Pending;
    int attempt = 0;
    std::int64_t version = 0;
    std::int64_t createdAtMs = 0;
    std::int64_t updatedAtMs = 0;
    QString cancelReason;
    QMap<QString, QString> labels;
    std::optional<RemoteAttempt> lastAttempt;

    friend bool operator==(const RemoteTask &, const RemoteTask &) = default;
};

/// One page of `GET /v1/tasks`.
struct TaskPage
{
    QList<RemoteTask> tasks;
    QString cursor;
    bool more = false;
};

} // namespace rebound
