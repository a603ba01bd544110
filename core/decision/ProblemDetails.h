#pragma once

#include "support/Result.h"

#include <QByteArray>
#include <QJsonObject>
#include <QString>

#include <optional>

namespace rebound {

/// An RFC 9457 problem details object. Unknown members are ignored, and so are members of the
/// wrong JSON type (the RFC's rule), which then take their default.
struct ProblemDetails
{
    QString type = QStringLiteral("about:blank");
    QString title;
    std::optional<int> status;
    QString detail;
    QString instance;

    /// Fails only when the body is not a JSON object at all.
    static Result<ProblemDetails> parse(const QByteArray &body);
    static ProblemDetails fromJson(const QJsonObject &object);
    QJsonObject toJson() const;

    friend bool operator==(const ProblemDetails &, const ProblemDetails &) = default;
};

} // namespace rebound
