#include "decision/ProblemDetails.h"

#include <QJsonDocument>
#include <QJsonParseError>

#include <cmath>

namespace rebound {

Result<ProblemDetails> ProblemDetails::parse(const QByteArray &body)
{
    QJsonParseError err{};
    const QJsonDocument doc = QJsonDocument::fromJson(body, &err);
    if (err.error != QJsonParseError::NoError) {
        return Result<ProblemDetails>::failure(
            QStringLiteral("malformed-problem"),
            QStringLiteral("problem body is not valid JSON at offset %1: %2")
                .arg(err.offset)
                .arg(err.errorString()));
    }
    if (!doc.isObject()) {
        return Result<ProblemDetails>::failure(QStringLiteral("malformed-problem"),
                                               QStringLiteral("problem body is not a JSON object"));
    }
    return fromJson(doc.object());
}

ProblemDetails ProblemDetails::fromJson(const QJsonObject &o)
{
    ProblemDetails p;
    auto str = [&o](const char *key, QString &out) {
        const QJsonValue v = o.value(QLatin1String(key));
        if (v.isString())
            out = v.toString();
    };
    str("type", p.type);
    if (p.type.isEmpty())
        p.type = QStringLiteral("about:blank");
    str("title", p.title);
    str("detail", p.detail);
    str("instance", p.instance);
    const QJsonValue status = o.value(QLatin1String("status"));
    if (status.isDouble()) {
        const double s = status.toDouble();
        if (s == std::floor(s) && s >= 100 && s <= 599)
            p.status = static_cast<int>(s);
    }
    return p;
}

QJsonObject ProblemDetails::toJson() const
{
    QJsonObject o{{QStringLiteral("type"), type}};
    if (!title.isEmpty())
        o.insert(QStringLiteral("title"), title);
    if (status)
        o.insert(QStringLiteral("status"), *status);
    if (!detail.isEmpty())
        o.insert(QStringLiteral("detail"), detail);
    if (!instance.isEmpty())
        o.insert(QStringLiteral("instance"), instance);
    return o;
}

} // namespace rebound
