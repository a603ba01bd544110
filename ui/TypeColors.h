#pragma once

#include <QColor>
#include <QString>

namespace rebound {

/// Each task type's colour, the same in its chart lines, its tile and its table cell. The
/// first ten types get ten different colours, each starting from a place its name gives, so a
/// type keeps its colour across runs unless another type took that place first.
class TypeColors final
{
public:
    static QColor of(const QString &type);
};

} // namespace rebound
