#include "support/SecretSource.h"

#include <QFile>

namespace rebound {

Result<SecretSource::Found> SecretSource::resolve(const QString &flag, const QString &path,
                                                  const QByteArray &environment,
                                                  const QString &entry, const Keychain &keychain)
{
    if (!path.isEmpty()) {
        QFile f(path);
        if (!f.open(QIODevice::ReadOnly))
            return Error{QStringLiteral("usage"),
                         QStringLiteral("%1 %2: %3").arg(flag, path, f.errorString())};
        const QByteArray secret = f.read(64 * 1024).trimmed();
        if (secret.isEmpty())
            return Error{QStringLiteral("usage"),
                         QStringLiteral("%1 %2: the file is empty").arg(flag, path)};
        return Found{secret, From::File};
    }
    if (!environment.isEmpty())
        return Found{environment, From::Environment};
    if (!keychain)
        return Found{};
    const auto looked = keychain(entry);
    if (!looked)
        return Error{
            QStringLiteral("keychain"),
            QStringLiteral("the OS keychain entry \"%1\": %2").arg(entry, looked.error().message)};
    if (!looked->has_value() || (*looked)->isEmpty())
        return Found{};
    return Found{**looked, From::Keychain};
}

} // namespace rebound
