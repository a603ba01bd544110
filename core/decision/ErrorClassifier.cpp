#include "decision/ErrorClassifier.h"

namespace rebound {

Classification ErrorClassifier::defaultForStatus(int status)
{
    const QString reason = QStringLiteral("http %1").arg(status);
    if (ClassificationConfig::retryableByDefault(status))
        return {ErrorClass::Transient, true, reason};
    // What the server cannot do (501, 505) is systemic; any other refusal is about the request.
    return {status >= 500 ? ErrorClass::Systemic : ErrorClass::Business, false, reason};
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
