#pragma once

#include "support/HttpUrl.h"
#include "support/Result.h"

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

    /// Identity of the endpoint in task keys, history, idempotency keys and fleet shards.
    QString key() const { return identity(baseUrl); }

    /// One spelling per endpoint: scheme and host in lower case (QUrl does both), no default
    /// port, no trailing slash (not even the root's), no user info, query or fragment — so
    /// members given `http://h:80/` and `http://h` hash the same tasks to the same shards.
    /// Different names for one host (localhost, 127.0.0.1) stay different.
    static QString identity(const QUrl &url)
    {
        QUrl u = url.adjusted(QUrl::RemoveUserInfo | QUrl::RemoveQuery | QUrl::RemoveFragment);
        if ((u.scheme() == QLatin1String("http") && u.port() == 80) ||
            (u.scheme() == QLatin1String("https") && u.port() == 443))
            u.setPort(-1);
        QString path = u.path(QUrl::FullyEncoded);
        while (path.endsWith(u'/'))
            path.chop(1);
        u.setPath(path, QUrl::StrictMode);
        return u.toString(QUrl::FullyEncoded);
    }

    /// `text` as an endpoint's base URL (http or https, with a host); errors name `flag`.
    static Result<QUrl> parseBaseUrl(const QString &text, const QString &flag)
    {
        return HttpUrl::parse(text, flag, QStringLiteral("http://127.0.0.1:8080"));
    }
};

} // namespace rebound
