#include "SecretCommand.h"

#include "Keychain.h"
#include "fleet/EtcdAccess.h"
#include "fleet/FleetMember.h"
#include "fleet/HttpEtcdWire.h"
#include "remote/EndpointConfig.h"

#include <QCommandLineParser>
#include <QFile>

#include <termios.h>
#include <unistd.h>

using namespace rebound;

namespace {

const char *kUsage =
    "Usage: reboundctl secret store|forget (--endpoint URL | --etcd URL --etcd-user NAME | "
    "--redis ADDRESS)\n"
    "  store   reads the secret from standard input (at most 64 KiB, surrounding whitespace\n"
    "          trimmed; on a terminal it asks without echo) and keeps it in the OS keychain\n"
    "  forget  removes it from the OS keychain\n";

constexpr qint64 kMaxSecret = 64 * 1024;

/// The secret from standard input: one line without echo on a terminal, else all of it.
Result<QByteArray> readSecret(const QString &what, cli::Streams io)
{
    QFile in;
    if (!in.open(stdin, QIODevice::ReadOnly))
        return Error{QStringLiteral("usage"),
                     QStringLiteral("standard input: %1").arg(in.errorString())};
    QByteArray secret;
    if (::isatty(STDIN_FILENO)) {
        io.err << "The " << what << " (not shown): ";
        io.err.flush();
        termios saved{};
        const bool echoOff = ::tcgetattr(STDIN_FILENO, &saved) == 0;
        if (echoOff) {
            termios quiet = saved;
            quiet.c_lflag &= ~tcflag_t(ECHO);
            ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
        }
        secret = in.readLine(kMaxSecret + 1);
        if (echoOff)
            ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
        io.err << "\n"; // the user's Enter was not echoed either
        io.err.flush();
    } else {
        secret = in.read(kMaxSecret + 1);
    }
    if (secret.size() > kMaxSecret)
        return Error{QStringLiteral("usage"),
                     QStringLiteral("standard input: more than 64 KiB; a secret is shorter")};
    secret = secret.trimmed();
    if (secret.isEmpty())
        return Error{QStringLiteral("usage"),
                     QStringLiteral("standard input: empty; give the %1 there").arg(what)};
    return secret;
}

struct Target
{
    QString entry; ///< the keychain entry
    QString what;  ///< what the secret is, for the user
};

Result<Target> targetOf(const QCommandLineParser &p)
{
    const int given = int(p.isSet(QStringLiteral("endpoint"))) +
                      int(p.isSet(QStringLiteral("etcd"))) + int(p.isSet(QStringLiteral("redis")));
    if (given != 1)
        return Error{
            QStringLiteral("usage"),
            QStringLiteral("name one of --endpoint, --etcd (with --etcd-user) or --redis")};
    if (p.isSet(QStringLiteral("etcd-user")) != p.isSet(QStringLiteral("etcd")))
        return Error{QStringLiteral("usage"), QStringLiteral("--etcd and --etcd-user go together")};
    if (p.isSet(QStringLiteral("endpoint"))) {
        const auto url = EndpointConfig::parseBaseUrl(p.value(QStringLiteral("endpoint")),
                                                      QStringLiteral("--endpoint"));
        if (!url)
            return url.error();
        EndpointConfig e;
        e.baseUrl = *url;
        return Target{e.key(), QStringLiteral("token for %1").arg(e.key())};
    }
    if (p.isSet(QStringLiteral("etcd"))) {
        const auto url =
            HttpEtcdWire::parseUrl(p.value(QStringLiteral("etcd")), QStringLiteral("--etcd"));
        if (!url)
            return url.error();
        const QString user = p.value(QStringLiteral("etcd-user"));
        if (user.isEmpty())
            return Error{QStringLiteral("usage"), QStringLiteral("--etcd-user: empty")};
        return Target{EtcdAccess::keychainEntry(*url, user),
                      QStringLiteral("password of etcd user %1 at %2")
                          .arg(user, url->toString(QUrl::RemovePath))};
    }
    const auto redis =
        FleetMember::parseRedis(p.value(QStringLiteral("redis")), QStringLiteral("--redis"));
    if (!redis)
        return redis.error();
    const QString entry = redis->keychainEntry();
    return Target{entry, QStringLiteral("password of Redis at %1").arg(entry)};
}

} // namespace

int SecretCommand::run(const QStringList &args, cli::Streams io)
{
    // args: [program-name, action, ...]
    const QString action = args.value(1);
    if (action.isEmpty() || action == QLatin1String("--help") || action == QLatin1String("-h")) {
        (action.isEmpty() ? io.err : io.out) << kUsage;
        return action.isEmpty() ? cli::Usage : cli::Ok;
    }
    if (action != QLatin1String("store") && action != QLatin1String("forget")) {
        io.err << "reboundctl secret: unknown action '" << action << "'\n" << kUsage;
        return cli::Usage;
    }
    const QString name = QStringLiteral("reboundctl secret ") + action;
    QCommandLineParser p;
    p.addHelpOption();
    p.addOptions(
        {{QStringLiteral("endpoint"), QStringLiteral("A Task API service's URL: its token."),
          QStringLiteral("URL")},
         {QStringLiteral("etcd"),
          QStringLiteral("etcd client URL (with --etcd-user): the user's password."),
          QStringLiteral("URL")},
         {QStringLiteral("etcd-user"), QStringLiteral("The etcd user."), QStringLiteral("NAME")},
         {QStringLiteral("redis"), QStringLiteral("redis://HOST:PORT: Redis's password."),
          QStringLiteral("ADDRESS")}});
    QStringList rest = args.mid(1);
    rest[0] = name;
    if (!p.parse(rest)) {
        io.err << name << ": " << p.errorText() << "\n";
        return cli::Usage;
    }
    if (p.isSet(QStringLiteral("help"))) {
        io.out << kUsage << "\n" << p.helpText().section(u'\n', 2);
        return cli::Ok;
    }
    if (!p.positionalArguments().isEmpty()) {
        io.err << name << ": unexpected " << p.positionalArguments().join(u' ')
               << " (the secret comes from standard input, never the command line)\n";
        return cli::Usage;
    }
    const auto target = targetOf(p);
    if (!target) {
        io.err << name << ": " << target.error().message << "\n";
        return cli::Usage;
    }
    if (action == QLatin1String("forget")) {
        const auto removed = Keychain::remove(target->entry);
        if (!removed) {
            io.err << name << ": the OS keychain: " << removed.error().message << "\n";
            return cli::Invalid;
        }
        io.out << "removed the " << target->what << " from the OS keychain (entry \""
               << target->entry << "\")\n";
        return cli::Ok;
    }
    const auto secret = readSecret(target->what, io);
    if (!secret) {
        io.err << name << ": " << secret.error().message << "\n";
        return cli::Usage;
    }
    const auto written = Keychain::write(target->entry, *secret);
    if (!written) {
        io.err << name << ": the OS keychain: " << written.error().message << "\n";
        return cli::Invalid;
    }
    io.out << "stored the " << target->what << " in the OS keychain (entry \"" << target->entry
           << "\")\n";
    return cli::Ok;
}
