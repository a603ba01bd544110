#include "support/JsonLog.h"

#include <QFileDevice>

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMutex>
#include <QRecursiveMutex>
#include <QRegularExpression>
#include <QStringList>

#include <cstdio>

namespace rebound {

Q_LOGGING_CATEGORY(lcEngine, "rebound.engine", QtInfoMsg)
Q_LOGGING_CATEGORY(lcPolicy, "rebound.policy", QtInfoMsg)
Q_LOGGING_CATEGORY(lcBreaker, "rebound.breaker", QtInfoMsg)
Q_LOGGING_CATEGORY(lcClient, "rebound.client", QtInfoMsg)
Q_LOGGING_CATEGORY(lcFleet, "rebound.fleet", QtInfoMsg)

namespace {

struct LogState
{
    /// Recursive: formatting a line redacts secrets, which reads them under the same lock.
    QRecursiveMutex mutex;
    const Clock *clock = nullptr;
    QIODevice *sink = nullptr;
    QStringList secrets;
    QtMessageHandler previous = nullptr;
};

LogState &state()
{
    static LogState s;
    return s;
}

const QString kRedacted = QStringLiteral("[redacted]");

bool isSecretKey(const QString &key)
{
    static const QRegularExpression re(
        QStringLiteral("token|authorization|password|secret|api[_-]?key"),
        QRegularExpression::CaseInsensitiveOption);
    return re.match(key).hasMatch();
}

QJsonValue redactValue(const QString &key, const QJsonValue &v);

QJsonObject redactObject(const QJsonObject &o)
{
    QJsonObject out;
    for (auto it = o.begin(); it != o.end(); ++it)
        out.insert(it.key(), redactValue(it.key(), it.value()));
    return out;
}

QJsonValue redactValue(const QString &key, const QJsonValue &v)
{
    if (isSecretKey(key) && !v.isNull() && !v.isUndefined())
        return kRedacted;
    if (v.isObject())
        return redactObject(v.toObject());
    if (v.isString())
        return JsonLog::redact(v.toString());
    return v;
}

const char *levelName(QtMsgType t)
{
    switch (t) {
    case QtDebugMsg:
        return "debug";
    case QtInfoMsg:
        return "info";
    case QtWarningMsg:
        return "warning";
    case QtCriticalMsg:
        return "critical";
    case QtFatalMsg:
        return "fatal";
    }
    return "info";
}

void handler(QtMsgType type, const QMessageLogContext &ctx, const QString &msg)
{
    // A message raised while a line is written (the sink's own warning) goes to stderr as it
    // is, rather than into the sink that raised it.
    thread_local bool writing = false;
    if (writing) {
        const QByteArray raw = msg.toUtf8() + '\n';
        std::fwrite(raw.constData(), 1, static_cast<std::size_t>(raw.size()), stderr);
        return;
    }
    LogState &s = state();
    // Held throughout: uninstall() waits for a line being written, and the clock and sink it
    // clears are never used after it returns.
    QMutexLocker lock(&s.mutex);
    if (!s.clock) { // a message that raced uninstall(): Qt's own handler says it
        const QtMessageHandler previous = s.previous;
        lock.unlock();
        if (previous)
            previous(type, ctx, msg);
        return;
    }
    writing = true;
    // Stamped by the injected clock only: a test's manual clock stamps its own lines.
    const QByteArray line = JsonLog::formatLine(s.clock->wallNowMs(), type,
                                                ctx.category ? ctx.category : "default", msg);
    if (s.sink) {
        // Each line out at once: an operator tails it, and a killed process loses nothing.
        s.sink->write(line);
        if (auto *file = qobject_cast<QFileDevice *>(s.sink))
            file->flush();
    } else {
        std::fwrite(line.constData(), 1, static_cast<std::size_t>(line.size()), stderr);
        std::fflush(stderr);
    }
    writing = false;
}

} // namespace

void JsonLog::install(const Clock &clock, QIODevice *sink)
{
    LogState &s = state();
    {
        QMutexLocker lock(&s.mutex);
        s.clock = &clock;
        s.sink = sink;
    }
    QtMessageHandler prev = qInstallMessageHandler(handler);
    if (prev != handler)
        s.previous = prev;
}

void JsonLog::uninstall()
{
    LogState &s = state();
    qInstallMessageHandler(s.previous);
    QMutexLocker lock(&s.mutex);
    s.clock = nullptr;
    s.sink = nullptr;
}

void JsonLog::registerSecret(const QString &secret)
{
    if (secret.size() < 4)
        return; // masking tiny strings would shred ordinary text
    LogState &s = state();
    QMutexLocker lock(&s.mutex);
    if (!s.secrets.contains(secret))
        s.secrets << secret;
}

QString JsonLog::redact(const QString &text)
{
    LogState &s = state();
    QMutexLocker lock(&s.mutex);
    QString out = text;
    for (const QString &secret : s.secrets)
        out.replace(secret, kRedacted);
    return out;
}

void JsonLog::event(const QLoggingCategory &category, QtMsgType type, const QString &event,
                    QJsonObject fields)
{
    if (!category.isEnabled(type))
        return;
    fields.insert(QStringLiteral("event"), event);
    const QString msg = QString::fromUtf8(QJsonDocument(fields).toJson(QJsonDocument::Compact));
    QMessageLogger logger(nullptr, 0, nullptr, category.categoryName());
    switch (type) {
    case QtDebugMsg:
        logger.debug("%s", qUtf8Printable(msg));
        break;
    case QtInfoMsg:
        logger.info("%s", qUtf8Printable(msg));
        break;
    case QtWarningMsg:
        logger.warning("%s", qUtf8Printable(msg));
        break;
    case QtCriticalMsg:
    case QtFatalMsg:
        logger.critical("%s", qUtf8Printable(msg));
        break;
    }
}

QByteArray JsonLog::formatLine(std::int64_t wallMs, QtMsgType type, const char *category,
                               const QString &message)
{
    QJsonObject o;
    const QJsonDocument parsed = QJsonDocument::fromJson(message.toUtf8());
    if (parsed.isObject())
        o = redactObject(parsed.object());
    else
        o = {{QStringLiteral("event"), QStringLiteral("message")},
             {QStringLiteral("message"), redact(message)}};
    // ts, level and category first so lines read well; QJsonObject would sort them.
    const auto quoted = [](const QString &v) {
        return QJsonDocument(QJsonArray{v}).toJson(QJsonDocument::Compact).mid(1).chopped(1);
    };
    QByteArray line =
        "{\"ts\":" +
        quoted(QDateTime::fromMSecsSinceEpoch(wallMs, Qt::UTC).toString(Qt::ISODateWithMs)) +
        ",\"level\":\"" + levelName(type) +
        "\",\"category\":" + quoted(QString::fromLatin1(category));
    o.remove(QStringLiteral("ts"));
    o.remove(QStringLiteral("level"));
    o.remove(QStringLiteral("category"));
    const QByteArray rest = QJsonDocument(o).toJson(QJsonDocument::Compact);
    if (rest.size() > 2)
        line += ',' + rest.mid(1);
    else
        line += '}';
    return line + '\n';
}

} // namespace rebound
