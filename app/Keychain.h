#pragma once

#include "support/Result.h"
#include "support/SecretSource.h"

#include <QByteArray>
#include <QString>

#include <optional>

/// The OS keychain (QtKeychain, service SecretSource::kKeychainService) for the command line
/// and the console's start-up, before any window: each call waits on a local event loop, at
/// most 5 s. A job that does not answer in time is left to finish, never deleted while pending.
class Keychain final
{
public:
    /// The entry's secret, nullopt when there is no such entry, or why the keychain could not
    /// be asked.
    static rebound::Result<std::optional<QByteArray>> read(const QString &entry);
    static rebound::Result<void> write(const QString &entry, const QByteArray &secret);
    /// Removing an entry that is not there is not an error.
    static rebound::Result<void> remove(const QString &entry);
    /// read() as the lookup SecretSource asks.
    static rebound::SecretSource::Keychain lookup();
};
