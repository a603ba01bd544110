#include "support/JsonInput.h"

#include <QJsonDocument>
#include <QJsonParseError>

namespace rebound {

Result<QJsonObject> JsonInput::parseObject(const QByteArray &bytes, const QString &code,
                                           const QString &objectHint)
{
    QJsonParseError err{};
    const QJsonDocument doc = QJsonDocument::fromJson(bytes, &err);
    if (err.error != QJsonParseError::NoError)
        return Error{code, QStringLiteral("$: not valid JSON at offset %1: %2")
                               .arg(err.offset)
                               .arg(err.errorString())};
    if (!doc.isObject())
        return Error{code, QStringLiteral("$: must be a JSON object") + objectHint};
    return doc.object();
}

} // namespace rebound
