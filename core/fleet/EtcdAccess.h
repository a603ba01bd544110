#pragma once

#include "Result.h"

#include <QByteArray>
#include <QList>
#include <QSslCertificate>
#include <QString>
#include <QUrl>

class QCommandLineOption;
class QCommandLineParser;

namespace rebound {

/// How a member reaches etcd: the client URL (http:// or https://), the CA that signs etcd's
/// certificate (none: the system's), and a user whose password is exchanged for a token at
/// /v3/auth/authenticate (none: etcd without authentication).
struct EtcdAccess
{
    EtcdAccess() = default;
    EtcdAccess(QUrl u) : url(std::move(u)) {} // NOLINT: a bare URL is access without auth or CA

    QUrl url;
    QString user;
    QByteArray password; ///< from a file or the environment, never argv
    QList<QSslCertificate> ca;

    /// From the flags' values: `url` (--etcd), `user` (--etcd-user), the password from
    /// `passwordFile` (--etcd-password-file) or else `envPassword` (REBOUND_ETCD_PASSWORD), the
    /// CA from `caFile` (--etcd-ca, PEM). Errors name the flag.
    static Result<EtcdAccess> from(const QString &url, const QString &user,
                                   const QString &passwordFile, const QByteArray &envPassword,
                                   const QString &caFile);
    /// --etcd-user, --etcd-password-file and --etcd-ca, for every command that talks to etcd.
    static QList<QCommandLineOption> options();
    /// from() with the values of --etcd and options() in `parser`.
    static Result<EtcdAccess> from(const QCommandLineParser &parser, const QByteArray &envPassword);
};

} // namespace rebound
