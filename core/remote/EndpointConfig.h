#pragma once

#include "Result.h"

#include <QByteArray>
#include <QList>
#include <QSslCertificate>
#include <QUrl>

namespace rebound {

/// One Task API endpoint Rebound watches. The token lives here only in memory; it is never
/// persisted by core (the UI keeps it in the OS keychain).
struct EndpointConfig
{
    QUrl baseUrl;                          ///< e.g. http://127.0.0.1:8080
    QByteArray token;                      ///< bearer token; empty for --no-auth services
    QList<QSslCertificate> caCertificates; ///< extra trust anchors for this endpoint
    qsizetype maxBodyBytes = 16 * 1024 * 1024;
    int maxInFlight = 8;       ///< bulkhead
    double ratePerSecond = 50; ///< token bucket for outbound requests
    double burst = 100;
    bool push = true; ///< use `/v1/watch` when the service offers it (else delta polling only)

    /// Identity of the endpoint in task keys, history and idempotency keys.
    QString key() const { return baseUrl.adjusted(QUrl::StripTrailingSlash).toString(); }

    /// `text` as an endpoint's base URL (http or https, with a host); errors name `flag`.
    static Result<QUrl> parseBaseUrl(const QString &text, const QString &flag)
    {
        const QUrl url(text, QUrl::StrictMode);
        if (!url.isValid() || url.host().isEmpty() ||
            (url.scheme() != QLatin1String("http") && url.scheme() != QLatin1String("https")))
            return Error{QStringLiteral("usage"),
                         QStringLiteral("%1: expected an http(s) URL such as "
                                        "http://127.0.0.1:8080")
                             .arg(flag)};
        return url;
    }
};

} // namespace rebound
