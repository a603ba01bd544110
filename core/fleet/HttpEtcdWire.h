#pragma once

#include "fleet/EtcdAccess.h"
#include "fleet/EtcdWire.h"

#include <QNetworkAccessManager>
#include <QObject>
#include <QPointer>
#include <QUrl>

#include <functional>
#include <optional>
#include <vector>

class QNetworkReply;
class QNetworkRequest;

namespace rebound {

/// EtcdWire over HTTP(S) to etcd's JSON gateway (every call a POST; the watch a chunked answer
/// of newline-separated JSON objects). With a user, the password is exchanged for a token at
/// /v3/auth/authenticate before the first request and sent as `Authorization: <token>`; a token
/// etcd no longer knows (expired, or auth re-enabled) is exchanged again, once per call. With
/// https, etcd's certificate must verify (against the given CA, else the system's): a bad one
/// fails every request with what was wrong.
class HttpEtcdWire final : public QObject, public EtcdWire
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HttpEtcdWire)

public:
    /// `access.url` is an etcd client URL, e.g. http://127.0.0.1:2379.
    explicit HttpEtcdWire(EtcdAccess access, QObject *parent = nullptr);
    ~HttpEtcdWire() override;

    void call(const QString &path, const QJsonObject &body, Answer done) override;
    void openWatch(const QList<QJsonObject> &requests, Line line, Ended ended) override;
    void closeWatch() override;
    QString address() const override { return m_access.url.toString(); }
    /// Passwords exchanged for tokens so far.
    int authentications() const { return m_authentications; }

    /// A unary call unanswered after this long fails (an etcd that stopped answering).
    static constexpr int kCallTimeoutMs = 5000;
    /// A stream line longer than this ends the stream (a policy document is at most 1 MiB).
    static constexpr qsizetype kMaxLine = 4 * 1024 * 1024;

    /// Checks an etcd client URL (http:// or https:// with a host, no path); the error names the
    /// flag.
    static Result<QUrl> parseUrl(const QString &text, const QString &flag);

private:
    using Then = std::function<void(const std::optional<Error> &)>;
    /// Runs `then` once a token is held (at once without a user), or with why none could be had.
    void authenticated(Then then);
    void callOnce(const QString &path, const QJsonObject &body, Answer done, bool retried);
    QNetworkRequest requestFor(const QString &path) const;
    void openAuthenticated(const QList<QJsonObject> &requests, const Line &line,
                           const Ended &ended);

    EtcdAccess m_access;
    QNetworkAccessManager m_nam;
    QPointer<QNetworkReply> m_watch;
    QByteArray m_buffer;
    QByteArray m_token;
    std::vector<Then> m_waiting; ///< requests waiting for the token being asked for
    int m_authentications = 0;
    quint64 m_watchGeneration = 0; ///< an open or close makes a pending open stale
};

} // namespace rebound
