#pragma once

#include "support/Result.h"

#include <QByteArray>
#include <QJsonObject>

namespace rebound {

/// The first step of every JSON document Rebound reads: bytes to a top-level object, or an
/// error at path `$` ("$: not valid JSON at offset 12: ...", "$: must be a JSON object").
class JsonInput final
{
public:
    /// `code` is the error code to report; `objectHint` is appended to the not-an-object message.
    static Result<QJsonObject> parseObject(const QByteArray &bytes, const QString &code,
                                           const QString &objectHint = {});
};

} // namespace rebound
