#pragma once

#include <QStringView>

namespace rebound {

/// Shell-style wildcard match over the whole text: `*` any run (also empty), `?` one
/// character, everything else literal. Task types are not paths, so `*` crosses `/` and `.`.
class Glob final
{
public:
    static bool match(QStringView pattern, QStringView text);
};

} // namespace rebound
