#pragma once

#include <QList>
#include <QString>

namespace rebound {

/// Per-policy overrides of the default classification (`policies[i].classification`), in the
/// spirit of gRPC's retryableStatusCodes and Temporal's NonRetryableErrorTypes. A problem-type
/// rule wins over a status rule; a "non-retryable" rule wins over a "retryable" one.
struct ClassificationConfig
{
    QList<int> retryableStatusCodes;
    QList<int> nonRetryableStatusCodes;
    QList<QString> retryableProblemTypes;
    QList<QString> nonRetryableProblemTypes;
    bool retryTimeouts = true; ///< transport timeouts (gRPC DEADLINE_EXCEEDED)

    friend bool operator==(const ClassificationConfig &, const ClassificationConfig &) = default;
};

} // namespace rebound
