#pragma once

#include "support/Result.h"

#include <QByteArray>
#include <QString>

#include <functional>
#include <optional>

namespace rebound {

/// Where a secret (a Task API token, an etcd user's password, Redis's password) comes from, in
/// order: a file named on the command line, an environment variable, the OS keychain. Never
/// argv. The keychain is a seam: the apps pass QtKeychain, tests a map; core never links it.
class SecretSource final
{
public:
    /// The OS keychain's service name of every secret Rebound keeps there.
    static inline const QString kKeychainService = QStringLiteral("rebound");

    /// Looks up one keychain entry: the secret, nullopt when there is no such entry, or an error
    /// (no keychain reachable, no answer in time, locked).
    using Keychain = std::function<Result<std::optional<QByteArray>>(const QString &entry)>;

    enum class From
    {
        Nowhere,
        File,
        Environment,
        Keychain
    };
    struct Found
    {
        QByteArray secret; ///< empty when from == Nowhere
        From from = From::Nowhere;
    };

    /// The first of: the file `path` (named `flag` in errors; its first 64 KiB, trimmed; an
    /// unreadable or empty file is an error), `environment` when not empty, keychain entry
    /// `entry` (asked only when `keychain` is set; its errors are returned). Nowhere when none
    /// has it.
    static Result<Found> resolve(const QString &flag, const QString &path,
                                 const QByteArray &environment, const QString &entry,
                                 const Keychain &keychain);
};

} // namespace rebound
