// rebound-taskd: the reference Task API v1 service (demo backend, test peer, example).
#include "GuardedTcpServer.h"
#include "TaskServer.h"
#include "TaskdOptions.h"
#include "time/QtTimerSource.h"
#include "time/SystemClock.h"

#include <QCoreApplication>
#include <QSslServer>
#include <QTcpServer>
#include <QTextStream>

#include <cstdio>

using namespace rebound;

namespace {

/// The listening socket: TLS when configured; either way a request over the server's byte
/// limit is cut before it is read whole.
QTcpServer *makeListener(const TaskdOptions &o, taskd::TaskServer &server)
{
    const qint64 limit = server.requestByteLimit();
    if (!o.tls)
        return new taskd::GuardedTcpServer(limit, &server);
    auto *ssl = new QSslServer(&server);
    ssl->setSslConfiguration(*o.tls);
    QObject::connect(ssl, &QSslServer::startedEncryptionHandshake, ssl,
                     [limit](QSslSocket *s) { taskd::GuardedTcpServer::guard(s, limit); });
    return ssl;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("rebound-taskd"));
    QCoreApplication::setApplicationVersion(QStringLiteral(REBOUND_VERSION));
    QTextStream err(stderr);
    const auto o = TaskdOptions::parse(app);
    if (!o) {
        err << "rebound-taskd: " << o.error().message << "\n";
        return TaskdOptions::exitCode(o.error());
    }

    SystemClock clock;
    QtTimerSource timers(clock);
    taskd::TaskServer server(o->server, clock, timers);
    if (!o->statePath.isEmpty()) {
        if (auto loaded = server.openJournal(o->statePath); !loaded) {
            err << "rebound-taskd: --state " << o->statePath << ": " << loaded.error().message
                << "\n";
            return 1;
        }
    }
    QTcpServer *tcp = makeListener(*o, server);
    if (!tcp->listen(o->address, o->port)) {
        err << "rebound-taskd: cannot listen on " << o->listen << ": " << tcp->errorString()
            << "\n";
        return 1;
    }
    server.bind(tcp);
    if (o->generate)
        server.startGenerator(*o->generate, o->types);
    const QString hostText = o->address.protocol() == QAbstractSocket::IPv6Protocol
                                 ? u'[' + o->address.toString() + u']'
                                 : o->address.toString();
    std::printf("{\"listening\":\"%s://%s:%u\"}\n", o->tls ? "https" : "http", qPrintable(hostText),
                unsigned(tcp->serverPort()));
    std::fflush(stdout);
    return app.exec();
}
