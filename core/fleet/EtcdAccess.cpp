#include "fleet/EtcdAccess.h"

#include "fleet/HttpEtcdWire.h"

#include <QCommandLineOption>
#include <QCommandLineParser>
#include <QFile>

namespace rebound {

QString EtcdAccess::keychainEntry(const QUrl &url, const QString &user)
{
    // Scheme, host and port: the gateway's paths are fixed, so a path never names another etcd.
    return QStringLiteral("etcd:%1@%2")
        .arg(user, url.toString(QUrl::RemoveUserInfo | QUrl::RemovePath | QUrl::RemoveQuery |
                                QUrl::RemoveFragment));
}

Result<EtcdAccess> EtcdAccess::from(const QString &url, const QString &user,
                                    const QString &passwordFile, const QByteArray &envPassword,
                                    const QString &caFile, const SecretSource::Keychain &keychain)
{
    const auto parsed = HttpEtcdWire::parseUrl(url, QStringLiteral("--etcd"));
    if (!parsed)
        return parsed.error();
    EtcdAccess a(*parsed);
    a.user = user;
    if (!caFile.isEmpty()) {
        if (a.url.scheme() != QLatin1String("https"))
            return Error{QStringLiteral("usage"),
                         QStringLiteral("--etcd-ca: only for an https:// etcd (got %1)")
                             .arg(a.url.toString())};
        QFile f(caFile);
        if (!f.open(QIODevice::ReadOnly))
            return Error{QStringLiteral("usage"),
                         QStringLiteral("--etcd-ca %1: %2").arg(caFile, f.errorString())};
        a.ca = QSslCertificate::fromData(f.read(1024 * 1024), QSsl::Pem);
        if (a.ca.isEmpty())
            return Error{QStringLiteral("usage"),
                         QStringLiteral("--etcd-ca %1: no PEM certificate in it").arg(caFile)};
    }
    // The keychain is asked last, and only for a user: a fleet without authentication never
    // waits on it.
    const QString entry = keychainEntry(a.url, user);
    auto found =
        SecretSource::resolve(QStringLiteral("--etcd-password-file"), passwordFile, envPassword,
                              entry, user.isEmpty() ? SecretSource::Keychain{} : keychain);
    if (!found && found.error().code == QLatin1String("keychain"))
        return Error{
            QStringLiteral("usage"),
            QStringLiteral("--etcd-user %1: no password: %2").arg(user, found.error().message)};
    if (!found)
        return found.error();
    a.password = found->secret;
    if (!a.password.isEmpty() && a.user.isEmpty())
        return Error{QStringLiteral("usage"),
                     QStringLiteral("--etcd-user: a password was given (--etcd-password-file or "
                                    "REBOUND_ETCD_PASSWORD) but no user")};
    if (!a.user.isEmpty() && a.password.isEmpty())
        return Error{QStringLiteral("usage"),
                     QStringLiteral("--etcd-user %1: no password (--etcd-password-file, "
                                    "REBOUND_ETCD_PASSWORD or the OS keychain entry \"%2\")")
                         .arg(user, entry)};
    return a;
}

QList<QCommandLineOption> EtcdAccess::options()
{
    return {{QStringLiteral("etcd-user"),
             QStringLiteral("etcd user (its password from --etcd-password-file, "
                            "REBOUND_ETCD_PASSWORD or the OS keychain; exchanged for a token)."),
             QStringLiteral("NAME")},
            {QStringLiteral("etcd-password-file"),
             QStringLiteral("The etcd user's password, read from this file."),
             QStringLiteral("FILE")},
            {QStringLiteral("etcd-ca"),
             QStringLiteral("PEM file of the CA that signs an https:// etcd's certificate "
                            "(default: the system's CAs)."),
             QStringLiteral("FILE")}};
}

Result<EtcdAccess> EtcdAccess::from(const QCommandLineParser &parser, const QByteArray &envPassword,
                                    const SecretSource::Keychain &keychain)
{
    return from(parser.value(QStringLiteral("etcd")), parser.value(QStringLiteral("etcd-user")),
                parser.value(QStringLiteral("etcd-password-file")), envPassword,
                parser.value(QStringLiteral("etcd-ca")), keychain);
}

} // namespace rebound
