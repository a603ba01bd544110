#pragma once

#include "EtcdWire.h"

#include <QNetworkAccessManager>
#include <QObject>
#include <QPointer>
#include <QUrl>

class QNetworkReply;

namespace rebound {

/// EtcdWire over HTTP to etcd's JSON gateway (every call a POST; the watch a chunked answer of
/// newline-separated JSON objects).
class HttpEtcdWire final : public QObject, public EtcdWire
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HttpEtcdWire)

public:
    /// `base` is an etcd client URL, e.g. http://127.0.0.1:2379.
    explicit HttpEtcdWire(QUrl base, QObject *parent = nullptr);
    ~HttpEtcdWire() override;

    void call(const QString &path, const QJsonObject &body, Answer done) override;
    void openWatch(const QList<QJsonObject> &requests, Line line, Ended ended) override;
    void closeWatch() override;
    QString address() const override { return m_base.toString(); }

    /// A unary call unanswered after this long fails (an etcd that stopped answering).
    static constexpr int kCallTimeoutMs = 5000;
    /// A stream line longer than this ends the stream (a policy document is at most 1 MiB).
    static constexpr qsizetype kMaxLine = 4 * 1024 * 1024;

    /// Checks an etcd client URL (http:// with a host, no path); the error names the flag.
    static Result<QUrl> parseUrl(const QString &text, const QString &flag);

private:
    QUrl m_base;
    QNetworkAccessManager m_nam;
    QPointer<QNetworkReply> m_watch;
    QByteArray m_buffer;
};

} // namespace rebound
