#pragma once

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QString>
#include <QVariant>

namespace rebound {

/// One span as OTLP carries it (only what Rebound fills in).
struct OtlpSpan
{
    using Attributes = QList<QPair<QString, QVariant>>; ///< string, bool, integer or double
    struct Event
    {
        qint64 timeUnixNano = 0;
        QString name;
        Attributes attributes;
    };
    enum class Status
    {
        Unset = 0,
        Ok = 1,
        Error = 2
    };

    QByteArray traceId; ///< 32 lowercase hex digits
    QByteArray spanId;  ///< 16 lowercase hex digits
    QString name;
    qint64 startUnixNano = 0;
    qint64 endUnixNano = 0;
    Attributes attributes;
    QList<Event> events;
    Status status = Status::Unset;
    QString statusMessage;
};

} // namespace rebound
