#pragma once

#include "support/Result.h"
#include "support/SecretSource.h"

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
    QByteArray password; ///< from a file, the environment or the keychain, never argv
    QList<QSslCertificate> ca;

    /// The user's password's entry in the OS keychain: "etcd:USER@URL".
    static QString keychainEntry(const QUrl &url, const QString &user);

    /// From the flags' values: `url` (--etcd), `user` (--etcd-user), the password from
    /// `passwordFile` (--etcd-password-file), else `envPassword` (REBOUND_ETCD_PASSWORD), else
    /// the keychain (asked only for a user with neither), the CA from `caFile` (--etcd-ca, PEM).
    /// Errors name the flag.
    static Result<EtcdAccess> from(const QString &url, const QString &user,
                                   const QString &passwordFile, const QByteArray &envPassword,
                                   const QString &caFile,
                                   const SecretSource::Keychain &keychain = {});
    /// --etcd-user, --etcd-password-file and --etcd-ca, for every command that talks to etcd.
    static QList<QCommandLineOption> options();
    /// from() with the values of --etcd and options() in `parser`.
    static Result<EtcdAccess> from(const QCommandLineParser &parser, const QByteArray &envPassword,
                                   const SecretSource::Keychain &keychain = {});
};

} // namespace rebound
