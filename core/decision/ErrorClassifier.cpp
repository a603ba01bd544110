#include "ErrorClassifier.h"

namespace rebound {

Classification ErrorClassifier::defaultForStatus(int status)
{
    const QString reason = QStringLiteral("http %1").arg(status);
    switch (status) {
    case 408:
    case 425:
    case 429:
    case 500:
    case 502:
    case 503:
    case 504:
        return {ErrorClass::Transient, true, reason};
    case 501:
    case 505:
        return {ErrorClass::Systemic, false, reason};
    default:
        break;
    }
    if (status >= 500)
        return {ErrorClass::Transient, true, reason};
    return {ErrorClass::Business, false, reason};
}

bool ErrorClassifier::statusRetryable(int status, const ClassificationConfig &config)
{
    if (config.nonRetryableStatusCodes.contains(status))
        return false;
    if (config.retryableStatusCodes.contains(status))
        return true;
    return defaultForStatus(status).retryable;
}

Classification ErrorClassifier::classify(const Failure &f, const ClassificationConfig &config)
{
    Classification c;
    if (f.transport != TransportError::None || f.httpStatus == 0) {
        switch (f.transport) {
        case TransportError::Timeout:
            c = {ErrorClass::Transient, config.retryTimeouts, QStringLiteral("transport timeout")};
            break;
        case TransportError::Tls:
            c = {ErrorClass::Systemic, false, QStringLiteral("transport tls")};
            break;
        case TransportError::None:
            c = {ErrorClass::Transient, true, QStringLiteral("transport unknown")};
            break;
        default:
            c = {ErrorClass::Transient, true, QStringLiteral("transport ") + toText(f.transport)};
            break;
        }
        return c;
    }

    c = defaultForStatus(f.httpStatus);
    if (config.nonRetryableStatusCodes.contains(f.httpStatus)) {
        c.retryable = false;
        c.reason += QStringLiteral(" (override)");
    } else if (config.retryableStatusCodes.contains(f.httpStatus)) {
        c.retryable = true;
        c.reason += QStringLiteral(" (override)");
    }
    if (f.problem) {
        const QString &type = f.problem->type;
        if (config.nonRetryableProblemTypes.contains(type)) {
            c.retryable = false;
            c.reason = QStringLiteral("problem %1 (override)").arg(type);
        } else if (config.retryableProblemTypes.contains(type)) {
            c.retryable = true;
            c.reason = QStringLiteral("problem %1 (override)").arg(type);
        }
    }
    return c;
}

} // namespace rebound
