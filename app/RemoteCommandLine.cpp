#include "RemoteCommandLine.h"

#include "TokenSource.h"
#include "support/JsonLog.h"

#include <QCommandLineParser>
#include <QFile>
#include <QSslCertificate>

using namespace rebound;

bool RemoteCommandLine::parse(const QStringList &args, cli::Streams io,
                              const QList<QCommandLineOption> &extra, bool needUrl)
{
    parser.addHelpOption();
    if (needUrl) {
        parser.addOption({QStringLiteral("url"),
                          QStringLiteral("Task API endpoint, e.g. http://127.0.0.1:8080."),
                          QStringLiteral("URL")});
        parser.addOption({QStringLiteral("token-file"),
                          QStringLiteral("Read the bearer token from this file (else "
                                         "REBOUND_TOKEN, else the OS keychain)."),
                          QStringLiteral("FILE")});
        parser.addOption({QStringLiteral("ca-file"),
                          QStringLiteral("Trust this PEM CA (or self-signed certificate) for "
                                         "this endpoint, besides the system's."),
                          QStringLiteral("FILE")});
    }
    parser.addOptions(extra);
    if (!parser.parse(args)) {
        io.err << name << ": " << parser.errorText() << "\n";
        return false;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        io.out << cli::help(parser.helpText(), name);
        return false;
    }
    if (needUrl) {
        const auto url = EndpointConfig::parseBaseUrl(parser.value(QStringLiteral("url")),
                                                      QStringLiteral("--url"));
        if (!url) {
            io.err << name << ": " << url.error().message << "\n";
            return false;
        }
    }
    return true;
}

int RemoteCommandLine::usageOrHelp() const
{
    return parser.isSet(QStringLiteral("help")) ? cli::Ok : cli::Usage;
}

std::optional<EndpointConfig> RemoteCommandLine::endpoint(cli::Streams io) const
{
    EndpointConfig e;
    e.baseUrl = QUrl(parser.value(QStringLiteral("url")));
    QString error;
    const auto token =
        TokenSource::resolve(e.key(), parser.value(QStringLiteral("token-file")), error);
    if (!token) {
        io.err << name << ": " << error << "\n";
        return std::nullopt;
    }
    e.token = *token;
    JsonLog::registerSecret(QString::fromUtf8(e.token));
    if (parser.isSet(QStringLiteral("ca-file"))) {
        QFile f(parser.value(QStringLiteral("ca-file")));
        if (!f.open(QIODevice::ReadOnly)) {
            io.err << name << ": --ca-file " << f.fileName() << ": " << f.errorString() << "\n";
            return std::nullopt;
        }
        e.caCertificates = QSslCertificate::fromData(f.read(4 * 1024 * 1024), QSsl::Pem);
        if (e.caCertificates.isEmpty()) {
            io.err << name << ": --ca-file " << f.fileName() << ": no PEM certificate in it\n";
            return std::nullopt;
        }
    }
    return e;
}
