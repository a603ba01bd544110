#include "TokenSource.h"

#include "Keychain.h"
#include "support/SecretSource.h"

using namespace rebound;

std::optional<QByteArray> TokenSource::resolve(const QString &endpoint, const QString &tokenFile,
                                               QString &error)
{
    const auto found =
        SecretSource::resolve(QStringLiteral("--token-file"), tokenFile, qgetenv("REBOUND_TOKEN"),
                              endpoint, Keychain::lookup());
    if (!found) {
        error = found.error().code == QLatin1String("keychain")
                    ? QStringLiteral("no token: %1; use --token-file or REBOUND_TOKEN")
                          .arg(found.error().message)
                    : found.error().message;
        return std::nullopt;
    }
    if (found->from == SecretSource::From::Nowhere) {
        error = QStringLiteral("no token for %1 in the OS keychain; use --token-file or "
                               "REBOUND_TOKEN")
                    .arg(endpoint);
        return std::nullopt;
    }
    return found->secret;
}
