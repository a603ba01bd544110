#include "fleet/HttpEtcdWire.h"

#include "support/HttpUrl.h"

#include <QJsonDocument>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QSslConfiguration>

namespace rebound {

namespace {

/// etcd's answer to a token it does not know (expired, or from before auth was re-enabled).
bool tokenRefused(int status, const QByteArray &body)
{
    return status == 401 || body.contains("invalid auth token");
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

HttpEtcdWire::HttpEtcdWire(EtcdAccess access, QObject *parent)
    : QObject(parent), m_access(std::move(access))
{}

QNetworkRequest HttpEtcdWire::requestFor(const QString &path) const
{
    QUrl url = m_access.url;
    url.setPath(path);
    QNetworkRequest r(url);
    r.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    if (!m_token.isEmpty())
        r.setRawHeader(QByteArrayLiteral("Authorization"), m_token); // etcd: no "Bearer"
    if (url.scheme() == QLatin1String("https") && !m_access.ca.isEmpty()) {
        QSslConfiguration ssl = QSslConfiguration::defaultConfiguration();
        ssl.addCaCertificates(m_access.ca);
        r.setSslConfiguration(ssl);
    }
    return r;
}

void HttpEtcdWire::authenticated(Then then)
{
    if (m_access.user.isEmpty() || !m_token.isEmpty()) {
        then(std::nullopt);
        return;
    }
    m_waiting.push_back(std::move(then));
    if (m_waiting.size() > 1)
        return; // a token is being asked for already
    const QString path = QStringLiteral("/v3/auth/authenticate");
    QNetworkRequest request = requestFor(path);
    request.setTransferTimeout(kCallTimeoutMs);
    const QJsonObject body{{QStringLiteral("name"), m_access.user},
                           {QStringLiteral("password"), QString::fromUtf8(m_access.password)}};
    QNetworkReply *reply = m_nam.post(request, QJsonDocument(body).toJson(QJsonDocument::Compact));
    ++m_authentications;
    connect(reply, &QNetworkReply::finished, this, [this, reply, path] {
        reply->deleteLater();
        const QByteArray answer = reply->readAll();
        std::optional<Error> failed;
        if (reply->error() != QNetworkReply::NoError ||
            reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() != 200) {
            failed = failureOf(reply, answer, path); // etcd's words; never the password
        } else {
            m_token = QJsonDocument::fromJson(answer)
                          .object()
                          .value(QStringLiteral("token"))
                          .toString()
                          .toUtf8();
            if (m_token.isEmpty())
                failed = Error{QStringLiteral("etcd-malformed"),
                               QStringLiteral("%1: no token in the answer").arg(path)};
        }
        const std::vector<Then> waiting = std::move(m_waiting);
        m_waiting.clear();
        for (const Then &t : waiting)
            t(failed);
    });
}

HttpEtcdWire::~HttpEtcdWire()
{
    closeWatch();
}

Result<QUrl> HttpEtcdWire::parseUrl(const QString &text, const QString &flag)
{
    const auto url = HttpUrl::parse(text, flag, QStringLiteral("http://127.0.0.1:2379"));
    if (!url)
        return url.error();
    if (!url->path().isEmpty() && url->path() != QLatin1String("/"))
        return Error{QStringLiteral("usage"),
                     QStringLiteral("%1: an etcd client URL has no path, such as "
                                    "https://etcd.example:2379 (got '%2')")
                         .arg(flag, text)};
    return url->adjusted(QUrl::RemovePath);
}

void HttpEtcdWire::call(const QString &path, const QJsonObject &body, Answer done)
{
    callOnce(path, body, std::move(done), false);
}

void HttpEtcdWire::callOnce(const QString &path, const QJsonObject &body, Answer done, bool retried)
{
    authenticated([this, path, body, retried,
                   done = std::move(done)](const std::optional<Error> &failed) mutable {
        if (failed) {
            done(*failed);
            return;
        }
        QNetworkRequest request = requestFor(path);
        request.setTransferTimeout(kCallTimeoutMs);
        const QByteArray sentToken = m_token;
        QNetworkReply *reply =
            m_nam.post(request, QJsonDocument(body).toJson(QJsonDocument::Compact));
        connect(reply, &QNetworkReply::finished, this,
                [this, reply, path, body, retried, sentToken, done = std::move(done)] {
                    reply->deleteLater();
                    const QByteArray answer = reply->readAll();
                    const int status =
                        reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
                    if (reply->error() != QNetworkReply::NoError || status != 200) {
                        if (!m_access.user.isEmpty() && !retried && tokenRefused(status, answer)) {
                            if (m_token == sentToken)
                                m_token.clear(); // ask for a new one, once
                            callOnce(path, body, done, true);
                            return;
                        }
                        done(failureOf(reply, answer, path));
                        return;
                    }
                    done(answer);
                });
    });
}

void HttpEtcdWire::openWatch(const QList<QJsonObject> &requests, Line line, Ended ended)
{
    closeWatch();
    const quint64 generation = m_watchGeneration;
    authenticated([this, generation, requests, line = std::move(line),
                   ended = std::move(ended)](const std::optional<Error> &failed) {
        if (generation != m_watchGeneration)
            return; // closed or opened again meanwhile
        if (failed) {
            ended(*failed);
            return;
        }
        openAuthenticated(requests, line, ended);
    });
}

void HttpEtcdWire::openAuthenticated(const QList<QJsonObject> &requests, const Line &line,
                                     const Ended &ended)
{
    m_buffer.clear();
    const QString path = QStringLiteral("/v3/watch");
    QByteArray body;
    for (const QJsonObject &r : requests)
        body += QJsonDocument(r).toJson(QJsonDocument::Compact) + '\n';
    QNetworkReply *reply = m_nam.post(requestFor(path), body);
    m_watch = reply;
    connect(reply, &QNetworkReply::readyRead, this, [this, reply, line, ended] {
        m_buffer += reply->readAll();
        qsizetype from = 0;
        for (qsizetype nl; (nl = m_buffer.indexOf('\n', from)) >= 0; from = nl + 1) {
            const QByteArray one = m_buffer.mid(from, nl - from).trimmed();
            if (one.contains("invalid auth token"))
                m_token.clear(); // the stream ends; it is opened again with a new token
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
        if (tokenRefused(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), rest))
            m_token.clear();
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
    ++m_watchGeneration;
    if (QNetworkReply *reply = m_watch) {
        m_watch = nullptr;
        reply->disconnect(this);
        reply->abort();
        reply->deleteLater();
    }
}

} // namespace rebound
