#include "FleetCommand.h"

#include "EtcdCodec.h"
#include "FleetKeys.h"
#include "HttpEtcdWire.h"

#include <QCommandLineParser>
#include <QEventLoop>
#include <QJsonDocument>
#include <QMap>

#include <optional>

using namespace rebound;

namespace {

const char *kUsage = "Usage: reboundctl fleet status --etcd URL [--prefix P]\n";

} // namespace

Result<QByteArray> FleetCommand::callAndWait(EtcdWire &wire, const QString &path,
                                             const QJsonObject &body)
{
    std::optional<Result<QByteArray>> answer;
    QEventLoop loop;
    wire.call(path, body, [&](Result<QByteArray> r) {
        answer = std::move(r);
        loop.quit();
    });
    if (!answer)
        loop.exec();
    return std::move(*answer);
}

Result<std::int64_t> FleetCommand::publish(const QString &etcdUrl, const QByteArray &prefix,
                                           const QByteArray &document)
{
    auto url = HttpEtcdWire::parseUrl(etcdUrl, QStringLiteral("--etcd"));
    if (!url)
        return url.error();
    HttpEtcdWire wire(*url);
    auto put = callAndWait(wire, QStringLiteral("/v3/kv/put"),
                           {{QStringLiteral("key"),
                             EtcdCodec::base64(FleetKeys(prefix).policies())},
                            {QStringLiteral("value"), EtcdCodec::base64(document)}});
    if (!put)
        return put.error();
    auto o = EtcdCodec::object(*put, QStringLiteral("put"));
    if (!o)
        return o.error();
    // The put's header revision is the key's new mod_revision: the policy version.
    return EtcdCodec::headerRevision(*o, QStringLiteral("put"));
}

int FleetCommand::run(const QStringList &args, cli::Streams io)
{
    // args: [program-name, action, ...]
    const QString action = args.value(1);
    if (action.isEmpty() || action == QLatin1String("--help") || action == QLatin1String("-h")) {
        (action.isEmpty() ? io.err : io.out) << kUsage;
        return action.isEmpty() ? cli::Usage : cli::Ok;
    }
    if (action != QLatin1String("status")) {
        io.err << "reboundctl fleet: unknown action '" << action << "'\n" << kUsage;
        return cli::Usage;
    }
    QCommandLineParser p;
    p.addHelpOption();
    p.addOption({QStringLiteral("etcd"), QStringLiteral("etcd client URL."), QStringLiteral("URL")});
    p.addOption({QStringLiteral("prefix"), QStringLiteral("The fleet's key prefix."),
                 QStringLiteral("P"), QStringLiteral("/rebound")});
    QStringList rest = args.mid(1);
    rest[0] = QStringLiteral("reboundctl fleet status");
    if (!p.parse(rest)) {
        io.err << "reboundctl fleet status: " << p.errorText() << "\n";
        return cli::Usage;
    }
    if (p.isSet(QStringLiteral("help"))) {
        io.out << p.helpText();
        return cli::Ok;
    }
    auto url = HttpEtcdWire::parseUrl(p.value(QStringLiteral("etcd")), QStringLiteral("--etcd"));
    if (!url) {
        io.err << "reboundctl fleet status: " << url.error().message << "\n";
        return cli::Usage;
    }
    const FleetKeys keys(p.value(QStringLiteral("prefix")).toUtf8());
    HttpEtcdWire wire(*url);
    auto policy = callAndWait(wire, QStringLiteral("/v3/kv/range"),
                              {{QStringLiteral("key"), EtcdCodec::base64(keys.policies())}});
    auto status = policy ? callAndWait(wire, QStringLiteral("/v3/kv/range"),
                                       {{QStringLiteral("key"), EtcdCodec::base64(keys.status())},
                                        {QStringLiteral("range_end"),
                                         EtcdCodec::base64(EtcdCodec::prefixEnd(keys.status()))}})
                         : policy;
    auto published = policy ? EtcdCodec::range(*policy) : Result<EtcdRange>(policy.error());
    auto reports = status ? EtcdCodec::range(*status) : Result<EtcdRange>(status.error());
    for (const auto *r : {&published, &reports})
        if (!*r) {
            io.err << "reboundctl fleet status: " << url->toString() << ": " << r->error().message
                   << "\n";
            return cli::Invalid;
        }
    if (published->kvs.isEmpty())
        io.out << "policies: none published at " << QString::fromUtf8(keys.policies()) << "\n";
    else
        io.out << "policies: revision " << published->kvs.first().modRevision << " at "
               << QString::fromUtf8(keys.policies()) << "\n";
    // <prefix>/status/<member>/policy -> {"rev","ok","error"}
    struct Row
    {
        QString member;
        qint64 rev = 0;
        bool ok = false;
        QString error;
    };
    QList<Row> rows;
    for (const EtcdKeyValue &kv : std::as_const(reports->kvs)) {
        const QByteArray rel = kv.key.mid(keys.status().size());
        if (!rel.endsWith("/policy"))
            continue;
        const QJsonObject ack = QJsonDocument::fromJson(kv.value).object();
        rows.append({QString::fromUtf8(rel.chopped(7)),
                     ack.value(QStringLiteral("rev")).toInteger(),
                     ack.value(QStringLiteral("ok")).toBool(),
                     ack.value(QStringLiteral("error")).toString()});
    }
    io.out << "members: " << rows.size() << "\n";
    if (rows.isEmpty())
        return cli::Ok;
    int width = 6;
    for (const Row &r : std::as_const(rows))
        width = std::max(width, int(r.member.size()));
    io.out << QStringLiteral("%1  %2  %3  %4\n")
                  .arg(QStringLiteral("MEMBER"), -width)
                  .arg(QStringLiteral("POLICY"), -8)
                  .arg(QStringLiteral("STATE"), -8)
                  .arg(QStringLiteral("DETAIL"));
    for (const Row &r : std::as_const(rows))
        io.out << QStringLiteral("%1  %2  %3  %4\n")
                      .arg(r.member, -width)
                      .arg(QString::number(r.rev), -8)
                      .arg(r.ok ? QStringLiteral("applied") : QStringLiteral("refused"), -8)
                      .arg(r.error.section(u'\n', 0, 0));
    return cli::Ok;
}
