#pragma once

#include <QByteArray>
#include <QString>

#include <optional>

/// Where reboundctl gets an endpoint's token: --token-file, then REBOUND_TOKEN, then the OS
/// keychain (the entry is the endpoint URL, as the console keeps it). Never from argv.
class TokenSource final
{
public:
    /// Returns the token, or nullopt with `error` set.
    static std::optional<QByteArray> resolve(const QString &endpoint, const QString &tokenFile,
                                             QString &error);
};
