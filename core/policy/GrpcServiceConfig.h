#pragma once

#include "policy/PolicySet.h"
#include "support/Result.h"

#include <QJsonObject>
#include <QStringList>

#include <optional>

namespace rebound {

struct GrpcImport
{
    std::optional<PolicySet> set;
    QStringList errors;   ///< `path: reason`, like policy validation
    QStringList warnings; ///< lossy but accepted conversions
};

struct GrpcExport
{
    std::optional<QJsonObject> serviceConfig;
    QStringList errors;
    QStringList warnings;
};

/// Converts between gRPC service-config `retryPolicy` entries and Rebound policies.
///
/// Each `methodConfig` with a `retryPolicy` becomes one policy. Its match globs come from its
/// `name` entries: `{}` -> `*`, `{service}` -> `service.*`, `{service, method}` ->
/// `service.method`. maxAttempts counts the first attempt on both sides. gRPC backoff draws
/// uniformly in [0, current backoff], which is Rebound's `full` jitter. Status codes map the
/// standard way (UNAVAILABLE <-> 503, RESOURCE_EXHAUSTED <-> 429, DEADLINE_EXCEEDED <-> 504 and
/// transport timeouts, INTERNAL <-> 500, UNIMPLEMENTED <-> 501, ...).
class GrpcServiceConfig final
{
public:
    static GrpcImport importJson(const QByteArray &json);
    static GrpcExport exportPolicy(const RetryPolicy &policy);

    /// gRPC code name (e.g. "UNAVAILABLE") -> HTTP status, or nullopt.
    static std::optional<int> httpForCode(const QString &codeName);
    /// HTTP status -> gRPC code name, or empty when there is no standard counterpart.
    static QString codeForHttp(int status);
    static std::optional<QString> codeNameFromNumber(int code);
    /// Parses a protobuf JSON Duration ("1.5s") into milliseconds.
    static std::optional<double> parseDurationMs(const QJsonValue &value);
    static QString formatDurationMs(double ms);
};

} // namespace rebound
