#pragma once

#include "decision/ProblemDetails.h"
#include "time/Time.h"

#include <optional>

namespace rebound {

enum class TransportError
{
    None,
    Timeout,
    ConnectionRefused,
    ConnectionReset,
    HostNotFound,
    Tls,
    Other
};
enum class ErrorClass
{
    Transient,
    Business,
    Systemic
};

QString toText(TransportError e);
QString toText(ErrorClass c);
std::optional<ErrorClass> errorClassFromString(const QString &s);

/// Everything known about one failed attempt, as the classifier sees it.
struct Failure
{
    TransportError transport = TransportError::None;
    int httpStatus = 0; ///< 0 when no HTTP answer arrived
    std::optional<ProblemDetails> problem;
    std::optional<Duration> retryAfter;
};

} // namespace rebound
