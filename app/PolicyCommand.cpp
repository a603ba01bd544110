#include "PolicyCommand.h"

#include "FleetCommand.h"
#include "Keychain.h"
#include "fleet/EtcdAccess.h"
#include "policy/GrpcServiceConfig.h"
#include "policy/PolicyDocument.h"

#include <QCommandLineParser>
#include <QFile>
#include <QJsonDocument>

#include <optional>

using namespace rebound;

namespace {

const char *kUsage = "Usage: reboundctl policy validate FILE\n"
                     "       reboundctl policy import-grpc FILE\n"
                     "       reboundctl policy export-grpc FILE --name P\n"
                     "       reboundctl policy publish FILE --etcd URL [--prefix P] "
                     "[--etcd-user NAME]\n"
                     "                 [--etcd-password-file FILE] [--etcd-ca FILE]\n";

std::optional<QByteArray> readFile(const QString &path, const QString &what, QTextStream &err)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        err << "reboundctl policy " << what << ": " << path << ": " << f.errorString() << "\n";
        return std::nullopt;
    }
    return f.read(PolicyDocument::kMaxBytes + 1);
}

} // namespace

int PolicyCommand::run(const QStringList &args, cli::Streams io)
{
    // args: [program-name, sub-sub-command, ...]
    const QString action = args.value(1);
    QCommandLineParser p;
    p.addHelpOption();
    if (action == QLatin1String("export-grpc"))
        p.addOption(
            {QStringLiteral("name"), QStringLiteral("The policy to export."), QStringLiteral("P")});
    if (action == QLatin1String("publish")) {
        p.addOption(
            {QStringLiteral("etcd"), QStringLiteral("etcd client URL."), QStringLiteral("URL")});
        p.addOption({QStringLiteral("prefix"), QStringLiteral("The fleet's key prefix."),
                     QStringLiteral("P"), QStringLiteral("/rebound")});
        p.addOptions(EtcdAccess::options());
    }
    if (action.isEmpty() || action == QLatin1String("--help") || action == QLatin1String("-h")) {
        (action.isEmpty() ? io.err : io.out) << kUsage;
        return action.isEmpty() ? cli::Usage : cli::Ok;
    }
    if (action != QLatin1String("validate") && action != QLatin1String("import-grpc") &&
        action != QLatin1String("export-grpc") && action != QLatin1String("publish")) {
        io.err << "reboundctl policy: unknown action '" << action << "'\n" << kUsage;
        return cli::Usage;
    }
    QStringList rest = args.mid(1);
    rest[0] = QStringLiteral("reboundctl policy ") + action;
    if (!p.parse(rest)) {
        io.err << "reboundctl policy " << action << ": " << p.errorText() << "\n";
        return cli::Usage;
    }
    if (p.isSet(QStringLiteral("help"))) {
        io.out << kUsage;
        return cli::Ok;
    }
    if (p.positionalArguments().size() != 1) {
        io.err << "reboundctl policy " << action << ": expected exactly one FILE\n" << kUsage;
        return cli::Usage;
    }
    const QString path = p.positionalArguments().first();
    const auto content = readFile(path, action, io.err);
    if (!content)
        return cli::Usage;

    if (action == QLatin1String("validate")) {
        const PolicyValidation v = PolicyDocument::parse(*content);
        if (!v.ok()) {
            for (const QString &e : v.errors)
                io.err << e << "\n";
            return cli::Invalid;
        }
        io.out << "ok\n";
        return cli::Ok;
    }

    if (action == QLatin1String("publish")) {
        if (!p.isSet(QStringLiteral("etcd"))) {
            io.err << "reboundctl policy publish: --etcd URL is required\n";
            return cli::Usage;
        }
        const auto access =
            EtcdAccess::from(p, qgetenv("REBOUND_ETCD_PASSWORD"), Keychain::lookup());
        if (!access) {
            io.err << "reboundctl policy publish: " << access.error().message << "\n";
            return cli::Usage;
        }
        const auto rev =
            FleetCommand::publish(*access, p.value(QStringLiteral("prefix")).toUtf8(), *content);
        if (!rev && rev.error().code == QLatin1String("invalid-policy")) {
            io.err << rev.error().message << "\n"; // path: reason, one per line, as validate
            return cli::Invalid;
        }
        if (!rev) {
            io.err << "reboundctl policy publish: " << rev.error().message << "\n";
            return rev.error().code == QLatin1String("usage") ? cli::Usage : cli::Invalid;
        }
        io.out << "published " << path << " as policy version " << *rev << "\n";
        return cli::Ok;
    }

    if (action == QLatin1String("import-grpc")) {
        const GrpcImport imp = GrpcServiceConfig::importJson(*content);
        for (const QString &w : imp.warnings)
            io.err << "warning: " << w << "\n";
        if (!imp.set) {
            for (const QString &e : imp.errors)
                io.err << e << "\n";
            return cli::Invalid;
        }
        io.out << QString::fromUtf8(PolicyDocument::serialize(*imp.set));
        return cli::Ok;
    }

    // export-grpc
    if (!p.isSet(QStringLiteral("name"))) {
        io.err << "reboundctl policy export-grpc: --name P is required\n";
        return cli::Usage;
    }
    const PolicyValidation v = PolicyDocument::parse(*content);
    if (!v.ok()) {
        for (const QString &e : v.errors)
            io.err << e << "\n";
        return cli::Invalid;
    }
    const RetryPolicy *policy = v.set->byName(p.value(QStringLiteral("name")));
    if (!policy) {
        QStringList names;
        for (const RetryPolicy &rp : v.set->policies)
            names << rp.name;
        io.err << path << ": no policy named '" << p.value(QStringLiteral("name"))
               << "' (policies: " << names.join(QStringLiteral(", ")) << ")\n";
        return cli::Invalid;
    }
    const GrpcExport exp = GrpcServiceConfig::exportPolicy(*policy);
    for (const QString &w : exp.warnings)
        io.err << "warning: " << w << "\n";
    if (!exp.serviceConfig) {
        for (const QString &e : exp.errors)
            io.err << "policies[" << v.set->policies.indexOf(*policy) << "]." << e << "\n";
        return cli::Invalid;
    }
    io.out << QString::fromUtf8(QJsonDocument(*exp.serviceConfig).toJson(QJsonDocument::Indented));
    return cli::Ok;
}
