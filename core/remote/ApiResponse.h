#pragma once

#include "decision/Failure.h"
#include "time/Time.h"

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QPair>
#include <QUrlQuery>

#include <optional>

namespace rebound {

/// One request to a Task API endpoint (path relative to the endpoint's base URL).
struct ApiRequest
{
    QByteArray method = "GET";
    QString path; ///< percent-encoded, each segment exactly once (TaskApi::segment)
    QUrlQuery query;
    QByteArray body;
    QList<QPair<QByteArray, QByteArray>> headers;
    Duration timeout{10'000}; ///< overall deadline for the whole exchange
};

/// What came back: an HTTP answer, or a transport failure (status 0).
struct ApiResponse
{
    int status = 0;
    QByteArray body;
    QHash<QByteArray, QByteArray> headers; ///< names lower-cased
    TransportError transport = TransportError::None;
    QString error; ///< human-readable reason for a transport failure
    bool bodyTooLarge = false;
    std::optional<Duration> retryAfter;
    Duration elapsed{0};
    QByteArray traceId;

    bool isSuccess() const
    {
        return transport == TransportError::None && status >= 200 && status < 300;
    }
    QByteArray header(const QByteArray &lowerName) const { return headers.value(lowerName); }
    /// The RFC 9457 problem, if the answer carries one.
    std::optional<ProblemDetails> problem() const;
    QString problemType() const;
    /// As the classifier sees it.
    Failure toFailure() const;
    /// One line for logs and status bars: "HTTP 503 (urn:...:unavailable)", "timeout after 5000
    /// ms".
    QString describe() const;
};

} // namespace rebound
