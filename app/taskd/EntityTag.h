#pragma once

#include <QByteArray>
#include <QList>

#include <optional>

namespace rebound::taskd {

/// One entity tag of an If-Match / If-None-Match list (RFC 9110 §8.8.3, §13.1).
struct EntityTag
{
    QByteArray opaque; ///< without quotes
    bool weak = false;

    /// The tags of a header: nothing when it is not a list of quoted tags; "*" is one tag "*"
    /// that is not weak.
    static std::optional<QList<EntityTag>> parseList(const QByteArray &header);
};

} // namespace rebound::taskd
