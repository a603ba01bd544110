#include "Faults.h"

#include <algorithm>

namespace rebound::taskd {

QJsonObject Faults::toJson() const
{
    return QJsonObject{{QStringLiteral("failRate"), failRate},
                       {QStringLiteral("failStatus"), failStatus},
                       {QStringLiteral("retryAfter"), QString::fromLatin1(retryAfter)},
                       {QStringLiteral("slowMs"), qint64(slowMs)},
                       {QStringLiteral("resetRate"), resetRate},
                       {QStringLiteral("resetMidBodyRate"), resetMidBodyRate},
                       {QStringLiteral("malformedRate"), malformedRate},
                       {QStringLiteral("malformedKind"), malformedKind},
                       {QStringLiteral("dripMs"), qint64(dripMs)},
                       {QStringLiteral("actorRetriesPerSecond"), actorRetriesPerSecond},
                       {QStringLiteral("watchDropRate"), watchDropRate},
                       {QStringLiteral("watchSilent"), watchSilent}};
}

Result<Faults> Faults::fromJson(const QJsonObject &o)
{
    Faults f;
    const auto rate = [&o](const char *key, double &out) -> bool {
        const QJsonValue v = o.value(QLatin1String(key));
        if (v.isUndefined())
            return true;
        if (!v.isDouble() || v.toDouble() < 0 || v.toDouble() > 1)
            return false;
        out = v.toDouble();
        return true;
    };
    if (!rate("failRate", f.failRate) || !rate("resetRate", f.resetRate) ||
        !rate("resetMidBodyRate", f.resetMidBodyRate) || !rate("malformedRate", f.malformedRate) ||
        !rate("watchDropRate", f.watchDropRate))
        return Error{QStringLiteral("bad-request"),
                     QStringLiteral("rates must be numbers in [0, 1]")};
    f.failStatus = o.value(QStringLiteral("failStatus")).toInt(503);
    if (f.failStatus < 400 || f.failStatus > 599)
        return Error{QStringLiteral("bad-request"), QStringLiteral("failStatus must be 400–599")};
    f.retryAfter = o.value(QStringLiteral("retryAfter")).toString().toLatin1();
    f.slowMs = std::clamp<qint64>(o.value(QStringLiteral("slowMs")).toInteger(0), 0, 600'000);
    f.dripMs = std::clamp<qint64>(o.value(QStringLiteral("dripMs")).toInteger(0), 0, 60'000);
    const QJsonValue actor = o.value(QStringLiteral("actorRetriesPerSecond"));
    if (!actor.isUndefined() &&
        (!actor.isDouble() || actor.toDouble() < 0 || actor.toDouble() > 1000))
        return Error{QStringLiteral("bad-request"),
                     QStringLiteral("actorRetriesPerSecond must be a number in [0, 1000]")};
    f.actorRetriesPerSecond = actor.toDouble(0);
    const QJsonValue silent = o.value(QStringLiteral("watchSilent"));
    if (!silent.isUndefined() && !silent.isBool())
        return Error{QStringLiteral("bad-request"),
                     QStringLiteral("watchSilent must be a boolean")};
    f.watchSilent = silent.toBool(false);
    f.malformedKind =
        o.value(QStringLiteral("malformedKind")).toString(QStringLiteral("truncated"));
    const QStringList kinds = {QStringLiteral("truncated"), QStringLiteral("html"),
                               QStringLiteral("wrong-types"), QStringLiteral("oversized"),
                               QStringLiteral("garbage")};
    if (!kinds.contains(f.malformedKind))
        return Error{QStringLiteral("bad-request"),
                     QStringLiteral("malformedKind must be one of ") +
                         kinds.join(QStringLiteral(", "))};
    return f;
}

} // namespace rebound::taskd
