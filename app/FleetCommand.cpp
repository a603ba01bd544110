#include "FleetCommand.h"

#include "Keychain.h"
#include "fleet/EtcdStore.h"
#include "fleet/FleetKeys.h"
#include "fleet/FleetStatus.h"
#include "fleet/HttpEtcdWire.h"
#include "fleet/PolicyPublisher.h"

#include <QCommandLineParser>
#include <QEventLoop>
#include <QJsonDocument>
#include <QMap>

#include <optional>

using namespace rebound;

namespace {

const char *kUsage = "Usage: reboundctl fleet status --etcd URL [--prefix P] [--etcd-user NAME] "
                     "[--etcd-password-file FILE] [--etcd-ca FILE]\n";

} // namespace

Result<std::int64_t> FleetCommand::publish(const EtcdAccess &etcd, const QByteArray &prefix,
                                           const QByteArray &document)
{
    HttpEtcdWire wire(etcd);
    EtcdStore store(wire);
    return wait<std::int64_t>([&](auto done) {
        PolicyPublisher::publish(store, FleetKeys(prefix), document, std::move(done));
    });
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
    p.addOption(
        {QStringLiteral("etcd"), QStringLiteral("etcd client URL."), QStringLiteral("URL")});
    p.addOption({QStringLiteral("prefix"), QStringLiteral("The fleet's key prefix."),
                 QStringLiteral("P"), QStringLiteral("/rebound")});
    p.addOptions(EtcdAccess::options());
    QStringList rest = args.mid(1);
    rest[0] = QStringLiteral("reboundctl fleet status");
    if (!p.parse(rest)) {
        io.err << "reboundctl fleet status: " << p.errorText() << "\n";
        return cli::Usage;
    }
    if (p.isSet(QStringLiteral("help"))) {
        io.out << cli::help(p.helpText(), QStringLiteral("reboundctl fleet status"));
        return cli::Ok;
    }
    auto access = EtcdAccess::from(p, qgetenv("REBOUND_ETCD_PASSWORD"), Keychain::lookup());
    if (!access) {
        io.err << "reboundctl fleet status: " << access.error().message << "\n";
        return cli::Usage;
    }
    const FleetKeys keys(p.value(QStringLiteral("prefix")).toUtf8());
    HttpEtcdWire wire(*access);
    EtcdStore store(wire);
    const auto answer =
        wait<FleetSnapshot>([&](auto done) { FleetStatus::read(store, keys, std::move(done)); });
    if (!answer) {
        io.err << "reboundctl fleet status: " << answer.error().message << "\n";
        return cli::Invalid;
    }
    const FleetSnapshot &s = *answer;
    if (s.policyRevision == 0)
        io.out << "policies: none published at " << QString::fromUtf8(keys.policies()) << "\n";
    else
        io.out << "policies: revision " << s.policyRevision << " at "
               << QString::fromUtf8(keys.policies()) << "\n";
    io.out << "members: " << s.members.size() << " (shards claimed: " << s.claimedShards << ")\n";
    if (s.members.isEmpty())
        return cli::Ok;
    int width = 6;
    for (const MemberStatus &m : s.members)
        width = std::max(width, int(m.member.size()));
    io.out << QStringLiteral("%1  %2  %3  %4  %5  %6  %7\n")
                  .arg(QStringLiteral("MEMBER"), -width)
                  .arg(QStringLiteral("POLICY"), -8)
                  .arg(QStringLiteral("STATE"), -8)
                  .arg(QStringLiteral("SHARDS"), -6)
                  .arg(QStringLiteral("LEASE"), -6)
                  .arg(QStringLiteral("BUDGET"), -9)
                  .arg(QStringLiteral("DETAIL"));
    for (const MemberStatus &m : s.members)
        io.out << QStringLiteral("%1  %2  %3  %4  %5  %6  %7\n")
                      .arg(m.member, -width)
                      .arg(m.revision > 0 ? QString::number(m.revision) : QStringLiteral("-"), -8)
                      .arg(m.revision == 0 ? QStringLiteral("-")
                           : m.ok          ? QStringLiteral("applied")
                                           : QStringLiteral("refused"),
                           -8)
                      .arg(QString::number(m.shards), -6)
                      .arg(m.leaseTtl >= 0 ? QStringLiteral("%1s").arg(m.leaseTtl)
                                           : QStringLiteral("-"),
                           -6)
                      .arg(m.budget.isEmpty() ? QStringLiteral("-") : m.budget, -9)
                      .arg(!m.error.isEmpty() || m.budgetCause.isEmpty()
                               ? m.error.section(u'\n', 0, 0)
                               : m.budgetCause);
    // Members must watch one set of endpoints, spelled alike: each refuses to decide for an
    // endpoint another watching member does not list.
    const QMap<QStringList, QStringList> sets = s.endpointSets();
    if (sets.size() > 1) {
        io.out << "endpoints differ; members decide nothing for an endpoint not every member "
                  "watches under that spelling:\n";
        for (auto it = sets.cbegin(); it != sets.cend(); ++it)
            io.out << "  " << it.value().join(u',') << ": " << it.key().join(u' ') << "\n";
    }
    return cli::Ok;
}
