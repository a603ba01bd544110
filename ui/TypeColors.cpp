#include "TypeColors.h"

#include <QCryptographicHash>
#include <QHash>

#include <array>

namespace rebound {

QColor TypeColors::of(const QString &type)
{
    // Ten colours apart in hue and readable on light and dark backgrounds (Tableau 10).
    static constexpr std::array<QRgb, 10> kPalette{0x4e79a7, 0xf28e2b, 0x59a14f, 0xe15759,
                                                   0x76b7b2, 0xedc948, 0xb07aa1, 0xff9da7,
                                                   0x9c755f, 0xbab0ac};
    // Each type starts from a place its name gives (the same in every process: qHash is
    // seeded per process) and takes the next colour no other type holds, so the first ten
    // types are ten colours. Asked on the GUI thread only (table, tiles, charts).
    static QHash<QString, int> given;
    static std::array<bool, kPalette.size()> taken{};
    if (const auto it = given.constFind(type); it != given.constEnd())
        return QColor(kPalette[std::size_t(*it)]);
    const QByteArray digest = QCryptographicHash::hash(type.toUtf8(), QCryptographicHash::Sha1);
    std::size_t i = quint8(digest[0]) % kPalette.size();
    for (std::size_t tries = 0; tries < kPalette.size() && taken[i]; ++tries)
        i = (i + 1) % kPalette.size();
    taken[i] = true; // (past ten types, colours repeat)
    given.insert(type, int(i));
    return QColor(kPalette[i]);
}

} // namespace rebound
