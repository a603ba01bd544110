#pragma once

#include "support/Result.h"

#include <QByteArray>
#include <QJsonObject>
#include <QString>

#include <cstdint>

namespace rebound::taskd {

/// Runtime fault switches (`/admin/faults`) for chaos tests. They apply to /v1 routes except
/// /v1/health.
struct Faults
{
    double failRate = 0; ///< answer with failStatus instead of serving
    int failStatus = 503;
    QByteArray retryAfter;       ///< Retry-After on those answers (either form), empty for none
    std::int64_t slowMs = 0;     ///< delay every answer
    double resetRate = 0;        ///< abort the connection before answering (nothing is done)
    double resetMidBodyRate = 0; ///< do the work, send half the answer, then abort
    double malformedRate = 0;    ///< answer 200 with a broken body
    QString malformedKind =
        QStringLiteral("truncated"); ///< truncated | html | wrong-types | oversized | garbage
    std::int64_t dripMs = 0;         ///< send the body one byte every dripMs
    /// "Someone else": retries of failed tasks the service starts by itself, per second, as a
    /// second console or the service's own retry would (reason auto, no deadline).
    double actorRetriesPerSecond = 0;
    /// /v1/watch: a changed message is replaced by a dropped connection with this probability.
    double watchDropRate = 0;
    /// /v1/watch: nothing is sent on watch connections, not even bookmarks (a stalled stream).
    bool watchSilent = false;

    QJsonObject toJson() const;
    static Result<Faults> fromJson(const QJsonObject &o);
};

} // namespace rebound::taskd
