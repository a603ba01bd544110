#pragma once

#include "time/Clock.h"

#include <QJsonObject>
#include <QLoggingCategory>

class QIODevice;

namespace rebound {

Q_DECLARE_LOGGING_CATEGORY(lcEngine)
Q_DECLARE_LOGGING_CATEGORY(lcPolicy)
Q_DECLARE_LOGGING_CATEGORY(lcBreaker)
Q_DECLARE_LOGGING_CATEGORY(lcClient)
Q_DECLARE_LOGGING_CATEGORY(lcFleet)

/// Structured logs: JSON lines `{ts, level, category, event, task_id, attempt, delay_ms, cause,
/// trace_id, ...}` through Qt's logging categories, so filtering rules (QT_LOGGING_RULES) work
/// as usual. Values of fields named like secrets (token, authorization, password, secret) and
/// any registered secret string are replaced by "[redacted]" before anything is written.
class JsonLog final
{
public:
    /// Routes Qt messages to `sink` (stderr when null) as JSON lines, stamped with `clock`'s
    /// wall time. The clock and sink must outlive the installation.
    static void install(const Clock &clock, QIODevice *sink = nullptr);
    static void uninstall();

    /// Emits one event at `type` on `category`.
    static void event(const QLoggingCategory &category, QtMsgType type, const QString &event,
                      QJsonObject fields = {});
    /// Same, for the category functions Q_DECLARE_LOGGING_CATEGORY declares (lcEngine, ...).
    static void event(const QLoggingCategory &(*category)(), QtMsgType type, const QString &name,
                      QJsonObject fields = {})
    {
        JsonLog::event(category(), type, name, std::move(fields));
    }
    /// Masks this exact string wherever it would appear in a log line.
    static void registerSecret(const QString &secret);

    /// The formatted line for one message (exposed for tests).
    static QByteArray formatLine(std::int64_t wallMs, QtMsgType type, const char *category,
                                 const QString &message);
    static QString redact(const QString &text);
};

} // namespace rebound
