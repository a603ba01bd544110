// rebound-taskd: the reference Task API v1 service (demo backend, test peer, example).
#include "GuardedTcpServer.h"
#include "TaskServer.h"
#include "time/QtTimerSource.h"
#include "time/SystemClock.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFile>
#include <QHostAddress>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslKey>
#include <QSslServer>
#include <QTcpServer>
#include <QTextStream>

#include <cstdio>

using namespace rebound;

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("rebound-taskd"));
    QCoreApplication::setApplicationVersion(QStringLiteral(REBOUND_VERSION));
    QTextStream err(stderr);

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

    taskd::ServerOptions opts;
    QByteArray token = qgetenv("REBOUND_TASKD_TOKEN");
    if (p.isSet(QStringLiteral("token")))
        token = p.value(QStringLiteral("token")).toUtf8();
    if (p.isSet(QStringLiteral("token-file"))) {
        QFile f(p.value(QStringLiteral("token-file")));
        if (!f.open(QIODevice::ReadOnly)) {
            err << "rebound-taskd: --token-file " << f.fileName() << ": " << f.errorString()
                << "\n";
            return 2;
        }
        token = f.readAll().trimmed();
    }
    opts.noAuth = p.isSet(QStringLiteral("no-auth"));
    if (token.isEmpty() && !opts.noAuth) {
        err << "rebound-taskd: refusing to start without a token: give --token-file, --token or "
               "REBOUND_TASKD_TOKEN, or --no-auth\n";
        return 2;
    }
    opts.token = token;
    bool ok = false;
    opts.seed = p.value(QStringLiteral("seed")).toULongLong(&ok);
    if (!ok) {
        err << "rebound-taskd: --seed: not a whole number\n";
        return 2;
    }
    if (p.isSet(QStringLiteral("profile"))) {
        QFile f(p.value(QStringLiteral("profile")));
        if (!f.open(QIODevice::ReadOnly)) {
            err << "rebound-taskd: --profile " << f.fileName() << ": " << f.errorString() << "\n";
            return 2;
        }
        auto profile = taskd::FailureProfile::fromJson(f.read(4 * 1024 * 1024));
        if (!profile) {
            err << "rebound-taskd: " << f.fileName() << ": " << profile.error().message << "\n";
            return 1;
        }
        opts.profile = *profile;
    }
    for (const auto &[name, out] :
         {std::pair{QStringLiteral("watch-bookmark-ms"), &opts.watch.bookmarkMs},
          std::pair{QStringLiteral("watch-stall-ms"), &opts.watch.stallMs}}) {
        const qint64 v = p.value(name).toLongLong(&ok);
        if (!ok || v < 10 || v > 3'600'000) {
            err << "rebound-taskd: --" << name << ": must be a whole number from 10 to 3600000\n";
            return 2;
        }
        *out = v;
    }
    const QString listen = p.value(QStringLiteral("listen"));
    const qsizetype colon = listen.lastIndexOf(u':');
    QString host = listen.left(colon);
    if (host.startsWith(u'[') && host.endsWith(u']'))
        host = host.mid(1, host.size() - 2);
    const QHostAddress address(host);
    const int port = listen.mid(colon + 1).toInt(&ok);
    if (colon <= 0 || address.isNull() || !ok || port < 0 || port > 65535) {
        err << "rebound-taskd: --listen '" << listen
            << "': expected ADDRESS:PORT, e.g. 127.0.0.1:0\n";
        return 2;
    }
    if (!address.isLoopback() && !p.isSet(QStringLiteral("allow-remote"))) {
        err << "rebound-taskd: " << host
            << " is not a loopback address; add --allow-remote to serve beyond this machine\n";
        return 2;
    }

    const bool tls = p.isSet(QStringLiteral("tls-cert")) || p.isSet(QStringLiteral("tls-key"));
    QSslConfiguration sslConfig;
    if (tls) {
        if (!p.isSet(QStringLiteral("tls-cert")) || !p.isSet(QStringLiteral("tls-key"))) {
            err << "rebound-taskd: --tls-cert and --tls-key go together\n";
            return 2;
        }
        QFile certFile(p.value(QStringLiteral("tls-cert")));
        QFile keyFile(p.value(QStringLiteral("tls-key")));
        for (QFile *f : {&certFile, &keyFile}) {
            if (!f->open(QIODevice::ReadOnly)) {
                err << "rebound-taskd: " << f->fileName() << ": " << f->errorString() << "\n";
                return 2;
            }
        }
        const QList<QSslCertificate> chain =
            QSslCertificate::fromData(certFile.read(1024 * 1024), QSsl::Pem);
        const QByteArray keyPem = keyFile.read(1024 * 1024);
        QSslKey key(keyPem, QSsl::Rsa, QSsl::Pem);
        if (key.isNull())
            key = QSslKey(keyPem, QSsl::Ec, QSsl::Pem);
        if (chain.isEmpty()) {
            err << "rebound-taskd: " << certFile.fileName() << ": no PEM certificate found\n";
            return 2;
        }
        if (key.isNull()) {
            err << "rebound-taskd: " << keyFile.fileName()
                << ": not an unencrypted PEM RSA or EC private key\n";
            return 2;
        }
        sslConfig = QSslConfiguration::defaultConfiguration();
        sslConfig.setLocalCertificateChain(chain);
        sslConfig.setPrivateKey(key);
        sslConfig.setPeerVerifyMode(QSslSocket::VerifyNone); // clients authenticate by token
    }

    SystemClock clock;
    QtTimerSource timers(clock);
    taskd::TaskServer server(opts, clock, timers);
    if (p.isSet(QStringLiteral("state"))) {
        auto loaded = server.openJournal(p.value(QStringLiteral("state")));
        if (!loaded) {
            err << "rebound-taskd: --state " << p.value(QStringLiteral("state")) << ": "
                << loaded.error().message << "\n";
            return 1;
        }
    }
    QTcpServer *tcp = nullptr;
    if (tls) {
        auto *ssl = new QSslServer(&server);
        ssl->setSslConfiguration(sslConfig);
        const qint64 limit = server.requestByteLimit();
        QObject::connect(ssl, &QSslServer::startedEncryptionHandshake, ssl,
                         [limit](QSslSocket *s) { taskd::GuardedTcpServer::guard(s, limit); });
        tcp = ssl;
    } else {
        tcp = new taskd::GuardedTcpServer(server.requestByteLimit(), &server);
    }
    if (!tcp->listen(address, static_cast<quint16>(port))) {
        err << "rebound-taskd: cannot listen on " << listen << ": " << tcp->errorString() << "\n";
        return 1;
    }
    server.bind(tcp);
    if (p.isSet(QStringLiteral("generate"))) {
        const double rate = p.value(QStringLiteral("generate")).toDouble(&ok);
        if (!ok || rate < 0 || rate > 10'000) {
            err << "rebound-taskd: --generate: expected tasks per second in [0, 10000]\n";
            return 2;
        }
        server.startGenerator(rate,
                              p.value(QStringLiteral("types")).split(u',', Qt::SkipEmptyParts));
    }
    const QString hostText = address.protocol() == QAbstractSocket::IPv6Protocol
                                 ? u'[' + address.toString() + u']'
                                 : address.toString();
    std::printf("{\"listening\":\"%s://%s:%u\"}\n", tls ? "https" : "http", qPrintable(hostText),
                unsigned(tcp->serverPort()));
    std::fflush(stdout);
    return app.exec();
}
