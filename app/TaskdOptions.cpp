#include "TaskdOptions.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFile>
#include <QSslCertificate>
#include <QSslKey>

using namespace rebound;

namespace {

Error usage(const QString &message)
{
    return Error{QStringLiteral("usage"), message};
}

Result<QSslConfiguration> tlsFrom(const QString &certPath, const QString &keyPath)
{
    QFile certFile(certPath);
    QFile keyFile(keyPath);
    for (QFile *f : {&certFile, &keyFile})
        if (!f->open(QIODevice::ReadOnly))
            return usage(QStringLiteral("%1: %2").arg(f->fileName(), f->errorString()));
    const QList<QSslCertificate> chain =
        QSslCertificate::fromData(certFile.read(1024 * 1024), QSsl::Pem);
    const QByteArray keyPem = keyFile.read(1024 * 1024);
    QSslKey key(keyPem, QSsl::Rsa, QSsl::Pem);
    if (key.isNull())
        key = QSslKey(keyPem, QSsl::Ec, QSsl::Pem);
    if (chain.isEmpty())
        return usage(QStringLiteral("%1: no PEM certificate found").arg(certFile.fileName()));
    if (key.isNull())
        return usage(QStringLiteral("%1: not an unencrypted PEM RSA or EC private key")
                         .arg(keyFile.fileName()));
    QSslConfiguration config = QSslConfiguration::defaultConfiguration();
    config.setLocalCertificateChain(chain);
    config.setPrivateKey(key);
    config.setPeerVerifyMode(QSslSocket::VerifyNone); // clients authenticate by token
    return config;
}

} // namespace

Result<TaskdOptions> TaskdOptions::parse(const QCoreApplication &app)
{
    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral(
        "Reference Task API v1 service with simulated, fault-injectable task execution."));
    p.addHelpOption();
    p.addVersionOption();
    p.addOptions({
        {QStringLiteral("listen"),
         QStringLiteral("Address and port, e.g. 127.0.0.1:0 (0: any free port)."),
         QStringLiteral("ADDR:PORT"), QStringLiteral("127.0.0.1:0")},
        {QStringLiteral("token-file"), QStringLiteral("Read the bearer token from this file."),
         QStringLiteral("FILE")},
        {QStringLiteral("token"),
         QStringLiteral("Bearer token (prefer --token-file or REBOUND_TASKD_TOKEN: argv is visible "
                        "to other users)."),
         QStringLiteral("TOKEN")},
        {QStringLiteral("no-auth"), QStringLiteral("Serve without authentication.")},
        {QStringLiteral("profile"), QStringLiteral("Failure profile JSON (default: the demo mix)."),
         QStringLiteral("FILE")},
        {QStringLiteral("generate"), QStringLiteral("Create this many tasks per second."),
         QStringLiteral("RATE")},
        {QStringLiteral("types"), QStringLiteral("Comma-separated task types for the generator."),
         QStringLiteral("LIST"), QStringLiteral("sms.send,pdf.render,email.send")},
        {QStringLiteral("seed"), QStringLiteral("Random seed for the simulation."),
         QStringLiteral("N"), QStringLiteral("1")},
        {QStringLiteral("allow-remote"), QStringLiteral("Allow a non-loopback listen address.")},
        {QStringLiteral("tls-cert"),
         QStringLiteral("Serve HTTPS with this PEM certificate (chain); needs --tls-key."),
         QStringLiteral("FILE")},
        {QStringLiteral("tls-key"), QStringLiteral("PEM private key for --tls-cert."),
         QStringLiteral("FILE")},
        {QStringLiteral("state"),
         QStringLiteral("Keep tasks, attempts and idempotency keys in this journal file, so a "
                        "restarted service (even after kill -9) still knows them."),
         QStringLiteral("FILE")},
        {QStringLiteral("watch-bookmark-ms"),
         QStringLiteral("/v1/watch: send a bookmark (heartbeat) this often."), QStringLiteral("MS"),
         QStringLiteral("5000")},
        {QStringLiteral("watch-stall-ms"),
         QStringLiteral("/v1/watch: close a connection whose reader has left over 1 MiB unread "
                        "for this long."),
         QStringLiteral("MS"), QStringLiteral("10000")},
    });
    p.process(app);

    TaskdOptions o;
    taskd::ServerOptions &opts = o.server;
    QByteArray token = qgetenv("REBOUND_TASKD_TOKEN");
    if (p.isSet(QStringLiteral("token")))
        token = p.value(QStringLiteral("token")).toUtf8();
    if (p.isSet(QStringLiteral("token-file"))) {
        QFile f(p.value(QStringLiteral("token-file")));
        if (!f.open(QIODevice::ReadOnly))
            return usage(QStringLiteral("--token-file %1: %2").arg(f.fileName(), f.errorString()));
        token = f.readAll().trimmed();
    }
    opts.noAuth = p.isSet(QStringLiteral("no-auth"));
    if (token.isEmpty() && !opts.noAuth)
        return usage(QStringLiteral("refusing to start without a token: give --token-file, "
                                    "--token or REBOUND_TASKD_TOKEN, or --no-auth"));
    opts.token = token;
    bool ok = false;
    opts.seed = p.value(QStringLiteral("seed")).toULongLong(&ok);
    if (!ok)
        return usage(QStringLiteral("--seed: not a whole number"));
    if (p.isSet(QStringLiteral("profile"))) {
        QFile f(p.value(QStringLiteral("profile")));
        if (!f.open(QIODevice::ReadOnly))
            return usage(QStringLiteral("--profile %1: %2").arg(f.fileName(), f.errorString()));
        auto profile = taskd::FailureProfile::fromJson(f.read(4 * 1024 * 1024));
        if (!profile)
            return Error{QStringLiteral("invalid"),
                         QStringLiteral("%1: %2").arg(f.fileName(), profile.error().message)};
        opts.profile = *profile;
    }
    for (const auto &[name, out] :
         {std::pair{QStringLiteral("watch-bookmark-ms"), &opts.watch.bookmarkMs},
          std::pair{QStringLiteral("watch-stall-ms"), &opts.watch.stallMs}}) {
        const qint64 v = p.value(name).toLongLong(&ok);
        if (!ok || v < 10 || v > 3'600'000)
            return usage(
                QStringLiteral("--%1: must be a whole number from 10 to 3600000").arg(name));
        *out = v;
    }
    o.listen = p.value(QStringLiteral("listen"));
    const qsizetype colon = o.listen.lastIndexOf(u':');
    QString host = o.listen.left(colon);
    if (host.startsWith(u'[') && host.endsWith(u']'))
        host = host.mid(1, host.size() - 2);
    o.address = QHostAddress(host);
    const int port = o.listen.mid(colon + 1).toInt(&ok);
    if (colon <= 0 || o.address.isNull() || !ok || port < 0 || port > 65535)
        return usage(
            QStringLiteral("--listen '%1': expected ADDRESS:PORT, e.g. 127.0.0.1:0").arg(o.listen));
    o.port = quint16(port);
    if (!o.address.isLoopback() && !p.isSet(QStringLiteral("allow-remote")))
        return usage(QStringLiteral("%1 is not a loopback address; add --allow-remote to serve "
                                    "beyond this machine")
                         .arg(host));
    if (p.isSet(QStringLiteral("tls-cert")) || p.isSet(QStringLiteral("tls-key"))) {
        if (!p.isSet(QStringLiteral("tls-cert")) || !p.isSet(QStringLiteral("tls-key")))
            return usage(QStringLiteral("--tls-cert and --tls-key go together"));
        auto tls = tlsFrom(p.value(QStringLiteral("tls-cert")), p.value(QStringLiteral("tls-key")));
        if (!tls)
            return tls.error();
        o.tls = *tls;
    }
    o.statePath = p.value(QStringLiteral("state"));
    if (p.isSet(QStringLiteral("generate"))) {
        const double rate = p.value(QStringLiteral("generate")).toDouble(&ok);
        if (!ok || rate < 0 || rate > 10'000)
            return usage(QStringLiteral("--generate: expected tasks per second in [0, 10000]"));
        o.generate = rate;
    }
    o.types = p.value(QStringLiteral("types")).split(u',', Qt::SkipEmptyParts);
    return o;
}
