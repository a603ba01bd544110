#include "RuntimeOptions.h"

#include "Keychain.h"
#include "fleet/ShardOwner.h"
#include "support/HttpUrl.h"
#include "telemetry/MetricsServer.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QRegularExpression>
#include <QSysInfo>

using namespace rebound;

namespace {

Error usage(const QString &message)
{
    return Error{QStringLiteral("usage"), message};
}

/// A whole number in [lo, hi] from `flag`, or an error that says what was expected.
Result<int> wholeIn(const QCommandLineParser &p, const char *flag, int lo, int hi, const char *what)
{
    bool ok = false;
    const int v = p.value(QLatin1String(flag)).toInt(&ok);
    if (!ok || v < lo || v > hi)
        return usage(QStringLiteral("--%1: expected %2 in %3..%4")
                         .arg(QLatin1String(flag), QLatin1String(what))
                         .arg(lo)
                         .arg(hi));
    return v;
}

} // namespace

QList<QCommandLineOption> RuntimeOptions::commandLine()
{
    return EtcdAccess::options() +
           QList<QCommandLineOption>{
               {QStringLiteral("metrics"),
                QStringLiteral("Serve Prometheus metrics at http://ADDRESS/metrics; ADDRESS is "
                               "[HOST:]PORT, HOST 127.0.0.1 unless given, PORT 0 any free port."),
                QStringLiteral("ADDRESS")},
               {QStringLiteral("otlp-endpoint"),
                QStringLiteral(
                    "Export a span per attempt to this OpenTelemetry collector (OTLP/HTTP "
                    "JSON, e.g. http://127.0.0.1:4318)."),
                QStringLiteral("URL")},
               {QStringLiteral("etcd"),
                QStringLiteral(
                    "Fleet mode: policies come from this etcd (instead of --policies), this "
                    "member acknowledges each version it looks at, and it decides only the "
                    "tasks of the shards it owns (every member must watch the same "
                    "services)."),
                QStringLiteral("URL")},
               {QStringLiteral("prefix"), QStringLiteral("The fleet's key prefix in etcd."),
                QStringLiteral("P"), QStringLiteral("/rebound")},
               {QStringLiteral("member"),
                QStringLiteral("This member's id in the fleet (default: from HOST and PID)."),
                QStringLiteral("ID")},
               {QStringLiteral("lease-ttl"),
                QStringLiteral("Seconds the member's etcd lease outlives its last keepalive."),
                QStringLiteral("S"), QStringLiteral("10")},
               {QStringLiteral("etcd-heartbeat"),
                QStringLiteral("etcd's progress-notification interval in seconds (its "
                               "--experimental-watch-progress-notify-interval); a watch silent for "
                               "twice this plus 1 s is opened again."),
                QStringLiteral("S"), QStringLiteral("5")},
               {QStringLiteral("shards"),
                QStringLiteral(
                    "Shards the fleet's tasks are split into (the same on every member)."),
                QStringLiteral("N"), QString::number(ShardOwner::kDefaultShards)},
               {QStringLiteral("redis"),
                QStringLiteral(
                    "With --etcd: share the retry rate limits of the fleet through this "
                    "Redis (redis://HOST:PORT); while it is away each member takes 1/N."),
                QStringLiteral("ADDRESS")},
               {QStringLiteral("redis-password-file"),
                QStringLiteral(
                    "Redis's password, read from this file (else REBOUND_REDIS_PASSWORD, "
                    "else the OS keychain; none if none has it)."),
                QStringLiteral("FILE")}};
}

Result<RuntimeOptions> RuntimeOptions::from(const QCommandLineParser &p, const Defaults &defaults)
{
    RuntimeOptions o;
    if (p.isSet(QStringLiteral("metrics"))) {
        auto at = MetricsServer::parseListen(p.value(QStringLiteral("metrics")));
        if (!at)
            return usage(QStringLiteral("--metrics ") + at.error().message);
        o.metricsAt = *at;
    }
    const QString otlp = p.isSet(QStringLiteral("otlp-endpoint"))
                             ? p.value(QStringLiteral("otlp-endpoint"))
                             : defaults.otlpFallback;
    if (!otlp.isEmpty()) {
        auto checked = HttpUrl::parse(otlp, QStringLiteral("--otlp-endpoint"),
                                      QStringLiteral("http://127.0.0.1:4318"));
        if (!checked)
            return usage(checked.error().message);
        o.otlp = *checked;
    }
    if (p.isSet(QStringLiteral("etcd"))) {
        auto access = EtcdAccess::from(p, qgetenv("REBOUND_ETCD_PASSWORD"), Keychain::lookup());
        if (!access)
            return usage(access.error().message);
        if (defaults.policiesGiven)
            return usage(QStringLiteral("--policies and --etcd: the policies come from one place"));
        o.etcd = *access;
        o.fleet.etcd = *access;
    }
    o.fleet.prefix = p.value(QStringLiteral("prefix")).toUtf8();
    o.fleet.session.member = p.isSet(QStringLiteral("member"))
                                 ? p.value(QStringLiteral("member"))
                                 : QStringLiteral("%1%2-%3")
                                       .arg(defaults.memberPrefix, QSysInfo::machineHostName())
                                       .arg(QCoreApplication::applicationPid());
    static const QRegularExpression memberId(QStringLiteral("^[A-Za-z0-9._-]{1,64}$"));
    if (!memberId.match(o.fleet.session.member).hasMatch())
        return usage(QStringLiteral("--member: expected 1 to 64 of A-Z a-z 0-9 . _ - (got '%1')")
                         .arg(o.fleet.session.member));
    const auto lease = wholeIn(p, "lease-ttl", 2, 3600, "whole seconds");
    if (!lease)
        return lease.error();
    const auto heartbeat = wholeIn(p, "etcd-heartbeat", 1, 3600, "whole seconds");
    if (!heartbeat)
        return heartbeat.error();
    const auto shards = wholeIn(p, "shards", 1, 4096, "a whole number");
    if (!shards)
        return shards.error();
    o.fleet.session.leaseTtl = Duration(qint64(*lease) * 1000);
    o.fleet.session.heartbeat = Duration(qint64(*heartbeat) * 1000);
    o.fleet.shards = *shards;
    if (p.isSet(QStringLiteral("redis"))) {
        if (!o.etcd)
            return usage(
                QStringLiteral("--redis needs --etcd (the fleet's members come from etcd)"));
        auto redis =
            FleetMember::parseRedis(p.value(QStringLiteral("redis")), QStringLiteral("--redis"));
        if (!redis)
            return usage(redis.error().message);
        QString warning;
        const auto resolved =
            redis->resolvePassword(p.value(QStringLiteral("redis-password-file")),
                                   qgetenv("REBOUND_REDIS_PASSWORD"), Keychain::lookup(), warning);
        if (!resolved)
            return usage(resolved.error().message);
        if (!warning.isEmpty())
            o.warnings << warning;
        o.fleet.redis = *redis;
    }
    return o;
}
