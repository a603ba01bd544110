#pragma once

#include "TaskServer.h"
#include "support/Result.h"

#include <QHostAddress>
#include <QSslConfiguration>
#include <QStringList>

#include <optional>

class QCoreApplication;

/// rebound-taskd's command line, read and checked in one place: the server's options (token,
/// failure profile, seed, watch timings), where it listens (loopback unless --allow-remote),
/// TLS, its journal, and the task generator. An error's code is "usage" (exit 2) or "invalid"
/// (exit 1: a file's content), and its message names the flag.
struct TaskdOptions
{
    rebound::taskd::ServerOptions server;
    QHostAddress address;
    quint16 port = 0;
    QString listen; ///< as given, for messages
    std::optional<QSslConfiguration> tls;
    QString statePath;              ///< empty: no journal
    std::optional<double> generate; ///< tasks per second
    QStringList types;

    static rebound::Result<TaskdOptions> parse(const QCoreApplication &app);
    /// The exit status for a parse error.
    static int exitCode(const rebound::Error &e) { return e.code == u"invalid" ? 1 : 2; }
};
