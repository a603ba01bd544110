#pragma once

#include "support/Result.h"

#include <QByteArray>
#include <QJsonValue>
#include <QStringList>

namespace rebound {

/// Changes one value in a JSON text and nothing else: the rest of the text — order, spacing,
/// comments-free formatting, numbers as written — stays byte for byte, so a policy edited in
/// the console differs from the file it came from by exactly the edited line.
class JsonTextEdit final
{
public:
    /// Sets the value at `path` (object keys; array positions as decimal numbers). A missing
    /// key is added as the last member of its object, on its own line when the object spans
    /// lines; missing objects on the way are created. Keys are compared as written (no escape
    /// sequences). An error says where the text or the path does not fit.
    static Result<QByteArray> set(const QByteArray &text, const QStringList &path,
                                  const QJsonValue &value);
};

} // namespace rebound
