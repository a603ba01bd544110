#pragma once

#include "CliError.h"
#include "remote/EndpointConfig.h"

#include <QCommandLineParser>
#include <QString>

#include <optional>

/// What the commands that talk to a service share: their name in messages, the parser with
/// --url, --token-file and --ca-file, and the endpoint those make.
struct RemoteCommandLine
{
    QCommandLineParser parser;
    QString name; ///< e.g. "reboundctl tasks", before every message

    /// Parses `args` with the common options (without the URL ones unless `needUrl`) and
    /// `extra`; false when the command should stop (help shown, or a usage error said).
    bool parse(const QStringList &args, cli::Streams io, const QList<QCommandLineOption> &extra,
               bool needUrl = true);
    /// The exit code after parse() returned false.
    int usageOrHelp() const;
    /// The endpoint the options name, with its token and trust anchors; the error is said.
    std::optional<rebound::EndpointConfig> endpoint(cli::Streams io) const;
};
