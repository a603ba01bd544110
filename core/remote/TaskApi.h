#pragma once

#include "remote/ApiResponse.h"
#include "remote/Fence.h"

#include <QString>
#include <QUrl>

namespace rebound {

/// Builds the Task API v1 requests (the wire contract lives in resources/api/task-api.yaml).
class TaskApi final
{
public:
    static ApiRequest listTasks(const QString &since, int limit, const QByteArray &ifNoneMatch);
    static ApiRequest getTask(const QString &id);
    static ApiRequest getAttempts(const QString &id);
    /// `body` must be byte-identical whenever `idempotencyKey` is re-sent (the outbox keeps it).
    static ApiRequest startAttempt(const QString &id, std::int64_t version,
                                   const QByteArray &idempotencyKey, const QByteArray &body);
    static ApiRequest cancel(const QString &id, std::int64_t version,
                             const QByteArray &idempotencyKey, const QByteArray &body);
    /// Ends running attempt `attemptNumber` as a timeout (409 when it has already ended).
    static ApiRequest abortAttempt(const QString &id, int attemptNumber, std::int64_t version,
                                   const QByteArray &idempotencyKey, const QByteArray &body);
    static ApiRequest createTask(const QString &type, const QJsonObject &labels = {});
    /// A fleet member's claim on a shard, announced before it acts there.
    static ApiRequest announceFence(const Fence &fence);

    /// Idempotency key for an action on an attempt, the same in every console and after every
    /// restart: hex SHA-256 of endpoint, task, attempt number and action.
    static QByteArray idempotencyKey(const QString &endpoint, const QString &taskId,
                                     int attemptNumber, const QString &action);
    /// {"reason":"auto"}, with "deadlineMs" when deadlineMs > 0.
    static QByteArray attemptBody(const QString &reason, std::int64_t deadlineMs = 0);
    static QByteArray cancelBody(const QString &reason);
    static QByteArray abortBody(const QString &reason); ///< timeout | operator

    /// One path segment for any id the contract allows (1–200 characters of any kind):
    /// percent-encoded once, so '/', '%', '?', ' ' or 'é' stay inside the segment (RFC 3986).
    static QString segment(const QString &id);
    /// `base` (an endpoint's URL, which may have a path of its own) joined with `encodedPath`,
    /// whose segments are already encoded: QUrl is told so, and encodes nothing a second time.
    static QUrl resolve(const QUrl &base, const QString &encodedPath);

private:
    static QString taskPath(const QString &id);
};

} // namespace rebound
