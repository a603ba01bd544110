#pragma once

#include "support/Result.h"

#include <QUrl>

namespace rebound {

/// The one check of a URL a user gives for an HTTP service (a Task API endpoint, etcd, an OTLP
/// collector): valid, http or https, with a host. Errors name `what` (a flag or a field) and show
/// `example`.
struct HttpUrl
{
    static Result<QUrl> parse(const QString &text, const QString &what, const QString &example)
    {
        const QUrl url(text.trimmed(), QUrl::StrictMode);
        if (!url.isValid() || url.host().isEmpty() ||
            (url.scheme() != QLatin1String("http") && url.scheme() != QLatin1String("https")))
            return Error{QStringLiteral("usage"),
                         QStringLiteral("%1: expected an http(s) URL such as %2, got \"%3\"")
                             .arg(what, example, text.left(200))};
        return url;
    }
};

} // namespace rebound
