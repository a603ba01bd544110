#include "decision/Failure.h"

namespace rebound {

QString toText(TransportError e)
{
    switch (e) {
    case TransportError::None:
        return QStringLiteral("none");
    case TransportError::Timeout:
        return QStringLiteral("timeout");
    case TransportError::ConnectionRefused:
        return QStringLiteral("connection_refused");
    case TransportError::ConnectionReset:
        return QStringLiteral("connection_reset");
    case TransportError::HostNotFound:
        return QStringLiteral("host_not_found");
    case TransportError::Tls:
        return QStringLiteral("tls");
    case TransportError::Other:
        return QStringLiteral("other");
    }
    return {};
}

QString toText(ErrorClass c)
{
    switch (c) {
    case ErrorClass::Transient:
        return QStringLiteral("transient");
    case ErrorClass::Business:
        return QStringLiteral("business");
    case ErrorClass::Systemic:
        return QStringLiteral("systemic");
    }
    return {};
}

std::optional<ErrorClass> errorClassFromString(const QString &s)
{
    for (ErrorClass c : {ErrorClass::Transient, ErrorClass::Business, ErrorClass::Systemic}) {
        if (toText(c) == s)
            return c;
    }
    return std::nullopt;
}

} // namespace rebound
