#pragma once

#include <QByteArray>
#include <QString>

#include <optional>

/// Where reboundctl gets an endpoint's token: --token-file, then REBOUND_TOKEN, then the OS
/// keychain (service "rebound", key = endpoint URL). Never from argv.
class TokenSource final
{
public:
    /// Returns the token, or nullopt with `error` set.
    static std::optional<QByteArray> resolve(const QString &endpoint, const QString &tokenFile,
                                             QString &error);
    /// Redis's password: --redis-password-file, then REBOUND_REDIS_PASSWORD; empty when
    /// neither is given (a Redis without a password). Never from argv.
    static std::optional<QByteArray> redisPassword(const QString &file, QString &error);
    static std::optional<QByteArray> fromKeychain(const QString &endpoint, QString &error);
};
