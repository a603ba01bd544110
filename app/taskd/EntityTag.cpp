#include "EntityTag.h"

namespace rebound::taskd {

std::optional<QList<EntityTag>> EntityTag::parseList(const QByteArray &header)
{
    QList<EntityTag> tags;
    const QByteArray h = header.trimmed();
    if (h == "*")
        return QList<EntityTag>{EntityTag{"*", false}};
    for (QByteArray item : h.split(',')) {
        item = item.trimmed();
        if (item.isEmpty())
            continue; // RFC 9110 list syntax allows empty elements
        EntityTag t;
        if (item.startsWith("W/")) {
            t.weak = true;
            item = item.mid(2);
        }
        if (item.size() < 2 || !item.startsWith('"') || !item.endsWith('"') ||
            item.mid(1, item.size() - 2).contains('"'))
            return std::nullopt;
        t.opaque = item.mid(1, item.size() - 2);
        tags.append(t);
    }
    if (tags.isEmpty())
        return std::nullopt;
    return tags;
}

} // namespace rebound::taskd
