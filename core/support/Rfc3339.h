#pragma once

#include <QByteArray>
#include <QString>

#include <cstdint>
#include <optional>

namespace rebound {

/// RFC 3339 timestamps as the Task API writes them: UTC with milliseconds,
/// `2026-11-26T20:45:00.123Z`. Parsing also accepts numeric offsets and missing fractions.
class Rfc3339 final
{
public:
    static QString format(std::int64_t msSinceEpoch);
    /// Appends the same text as UTF-8; fast enough for exporting a million rows.
    static void append(QByteArray &out, std::int64_t msSinceEpoch);
    static std::optional<std::int64_t> parse(const QString &text);
};

} // namespace rebound
