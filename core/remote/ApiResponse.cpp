#include "remote/ApiResponse.h"

namespace rebound {

std::optional<ProblemDetails> ApiResponse::problem() const
{
    if (!header("content-type").startsWith("application/problem+json"))
        return std::nullopt;
    auto p = ProblemDetails::parse(body);
    if (!p)
        return std::nullopt;
    return *p;
}

QString ApiResponse::problemType() const
{
    const auto p = problem();
    return p ? p->type : QString();
}

Failure ApiResponse::toFailure() const
{
    Failure f;
    f.transport = transport;
    f.httpStatus = transport == TransportError::None ? status : 0;
    f.problem = problem();
    f.retryAfter = retryAfter;
    return f;
}

QString ApiResponse::describe() const
{
    if (transport != TransportError::None)
        return QStringLiteral("%1: %2").arg(toText(transport), error);
    const QString type = problemType();
    return type.isEmpty() ? QStringLiteral("HTTP %1").arg(status)
                          : QStringLiteral("HTTP %1 (%2)").arg(status).arg(type);
}

} // namespace rebound
