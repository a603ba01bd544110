#include "HttpEtcdWire.h"

#include <QJsonDocument>
#include <QNetworkReply>
#include <QNetworkRequest>

namespace rebound {

namespace {

QNetworkRequest requestFor(const QUrl &base, const QString &path)
{
    QUrl url = base;
    url.setPath(path);
    QNetworkRequest r(url);
    r.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    return r;
}

Error failureOf(QNetworkReply *reply, const QByteArray &body, const QString &path)
{
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (status == 0 || status == 200) // never answered, or the answer broke off
        return Error{QStringLiteral("etcd-unreachable"),
                     QStringLiteral("%1%2: %3")
                         .arg(reply->url().adjusted(QUrl::RemovePath).toString(), path,
                              reply->errorString())};
    // grpc-gateway errors are {"error": "...", "message": "...", "code": n}.
    const QString message =
        QJsonDocument::fromJson(body).object().value(QStringLiteral("message")).toString();
    return Error{QStringLiteral("etcd-refused"),
                 QStringLiteral("%1: HTTP %2%3")
                     .arg(path)
                     .arg(status)
                     .arg(message.isEmpty() ? QString() : QStringLiteral(": ") + message)};
}

} // namespace

HttpEtcdWire::HttpEtcdWire(QUrl base, QObject *parent) : QObject(parent), m_base(std::move(base)) {}

HttpEtcdWire::~HttpEtcdWire()
{
    closeWatch();
}

Result<QUrl> HttpEtcdWire::parseUrl(const QString &text, const QString &flag)
{
    const QUrl url(text, QUrl::StrictMode);
    if (!url.isValid() || url.scheme() != QLatin1String("http") || url.host().isEmpty() ||
        (!url.path().isEmpty() && url.path() != QLatin1String("/")))
        return Error{QStringLiteral("usage"),
                     QStringLiteral("%1: expected an etcd client URL such as http://127.0.0.1:2379 "
                                    "(got '%2')")
                         .arg(flag, text)};
    return url.adjusted(QUrl::RemovePath);
}

void HttpEtcdWire::call(const QString &path, const QJsonObject &body, Answer done)
{
    QNetworkRequest request = requestFor(m_base, path);
    request.setTransferTimeout(kCallTimeoutMs);
    QNetworkReply *reply = m_nam.post(request, QJsonDocument(body).toJson(QJsonDocument::Compact));
    connect(reply, &QNetworkReply::finished, this, [reply, path, done = std::move(done)] {
        reply->deleteLater();
        const QByteArray answer = reply->readAll();
        if (reply->error() != QNetworkReply::NoError ||
            reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() != 200) {
            done(failureOf(reply, answer, path));
            return;
        }
        done(answer);
    });
}

void HttpEtcdWire::openWatch(const QList<QJsonObject> &requests, Line line, Ended ended)
{
    closeWatch();
    m_buffer.clear();
    const QString path = QStringLiteral("/v3/watch");
    QByteArray body;
    for (const QJsonObject &r : requests)
        body += QJsonDocument(r).toJson(QJsonDocument::Compact) + '\n';
    QNetworkReply *reply = m_nam.post(requestFor(m_base, path), body);
    m_watch = reply;
    connect(reply, &QNetworkReply::readyRead, this, [this, reply, line, ended] {
        m_buffer += reply->readAll();
        qsizetype from = 0;
        for (qsizetype nl; (nl = m_buffer.indexOf('\n', from)) >= 0; from = nl + 1) {
            const QByteArray one = m_buffer.mid(from, nl - from).trimmed();
            if (!one.isEmpty()) {
                line(one);
                if (m_watch != reply)
                    return; // closed or reopened from inside `line`
            }
        }
        m_buffer.remove(0, from);
        if (m_buffer.size() > kMaxLine) {
            closeWatch();
            ended(Error{QStringLiteral("etcd-malformed"),
                        QStringLiteral("/v3/watch: a message longer than %1 bytes").arg(kMaxLine)});
        }
    });
    connect(reply, &QNetworkReply::finished, this, [this, reply, path, ended] {
        reply->deleteLater();
        if (m_watch != reply)
            return;
        m_watch = nullptr;
        const QByteArray rest = reply->readAll();
        if (reply->error() != QNetworkReply::NoError ||
            reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() != 200)
            ended(failureOf(reply, rest, path));
        else
            ended(Error{QStringLiteral("etcd-watch-ended"),
                        QStringLiteral("%1: the stream ended").arg(path)});
    });
}

void HttpEtcdWire::closeWatch()
{
    if (QNetworkReply *reply = m_watch) {
        m_watch = nullptr;
        reply->disconnect(this);
        reply->abort();
        reply->deleteLater();
    }
}

} // namespace rebound
