#pragma once

#include "decision/Failure.h"
#include "policy/ClassificationConfig.h"

namespace rebound {

struct Classification
{
    ErrorClass errorClass = ErrorClass::Transient;
    bool retryable = false;
    QString reason; ///< e.g. "http 503", "problem urn:x:quota (override)", "transport timeout"
};

/// Maps a failure to Transient | Business | Systemic and decides whether it may be retried.
/// Defaults: 408/425/429/500/502/503/504 and transport timeouts/refused/reset -> transient,
/// retryable; other 4xx -> business; 501/505 and TLS -> systemic, not retryable.
class ErrorClassifier final
{
public:
    static Classification classify(const Failure &failure, const ClassificationConfig &config = {});
    /// The default class of an HTTP status (>= 400) and whether it is retryable by default.
    static Classification defaultForStatus(int status);
};

} // namespace rebound
