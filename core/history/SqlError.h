#pragma once

#include "Result.h"

#include <QSqlError>
#include <QString>

namespace rebound {

/// A database failure as an error value: what was being done, and SQLite's words.
inline Error sqlError(const QString &what, const QSqlError &e)
{
    return Error{QStringLiteral("history-db"), QStringLiteral("%1: %2").arg(what, e.text())};
}

} // namespace rebound
