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

    /// Whether an HTTP status (>= 400) is retried when no rule names it: 408, 425, 429 and
    /// every 5xx but 501 and 505. The classifier's classes follow from this one table.
    static bool retryableByDefault(int status);
    /// Whether this policy retries an HTTP status: its status rules, then the default.
    bool retriesStatus(int status) const;

    friend bool operator==(const ClassificationConfig &, const ClassificationConfig &) = default;
};

} // namespace rebound
