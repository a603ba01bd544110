#include "fleet/DecisionCodec.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace rebound {
namespace {

QString kindText(SharedDecision::Kind k)
{
    switch (k) {
    case SharedDecision::Kind::Retry:
        return QStringLiteral("retry");
    case SharedDecision::Kind::Defer:
        return QStringLiteral("defer");
    case SharedDecision::Kind::Stop:
        return QStringLiteral("stop");
    }
    return {};
}

QJsonObject toObject(const SharedDecision &d)
{
    QJsonObject o{{QStringLiteral("e"), d.endpoint},
                  {QStringLiteral("i"), d.taskId},
                  {QStringLiteral("m"), d.member},
                  {QStringLiteral("a"), d.attempt},
                  {QStringLiteral("k"), kindText(d.kind)},
                  {QStringLiteral("at"), double(d.decidedWallMs)}};
    if (d.deferReason)
        o.insert(QStringLiteral("r"), toText(*d.deferReason));
    if (d.stopReason)
        o.insert(QStringLiteral("r"), toText(*d.stopReason));
    if (d.dueWallMs)
        o.insert(QStringLiteral("due"), double(*d.dueWallMs));
    if (d.deferReason == DeferReason::Unhealthy) {
        o.insert(QStringLiteral("hs"), d.healthScore);
        o.insert(QStringLiteral("us"), d.unhealthyScore);
        o.insert(QStringLiteral("er"), d.errorRate);
        o.insert(QStringLiteral("lat"), d.meanLatencyMs);
    }
    return o;
}

Error bad(const QString &what)
{
    return Error{QStringLiteral("decision"), QStringLiteral("shared decision: %1").arg(what)};
}

Result<SharedDecision> fromObject(const QJsonObject &o)
{
    SharedDecision d;
    d.endpoint = o.value(QStringLiteral("e")).toString();
    d.taskId = o.value(QStringLiteral("i")).toString();
    d.member = o.value(QStringLiteral("m")).toString();
    if (d.endpoint.isEmpty() || d.taskId.isEmpty() || d.member.isEmpty())
        return bad(QStringLiteral("\"e\", \"i\" and \"m\" must be non-empty strings"));
    d.attempt = o.value(QStringLiteral("a")).toInt(0);
    if (d.attempt < 1)
        return bad(QStringLiteral("\"a\" of %1 must be an attempt number ≥ 1").arg(d.taskId));
    const QString kind = o.value(QStringLiteral("k")).toString();
    const QString reason = o.value(QStringLiteral("r")).toString();
    if (kind == QLatin1String("retry")) {
        d.kind = SharedDecision::Kind::Retry;
    } else if (kind == QLatin1String("defer")) {
        d.kind = SharedDecision::Kind::Defer;
        for (auto r : {DeferReason::BreakerOpen, DeferReason::BudgetExhausted,
                       DeferReason::Unhealthy, DeferReason::Paused}) {
            if (toText(r) == reason)
                d.deferReason = r;
        }
        if (!d.deferReason)
            return bad(QStringLiteral("unknown deferral reason \"%1\"").arg(reason));
    } else if (kind == QLatin1String("stop")) {
        d.kind = SharedDecision::Kind::Stop;
        d.stopReason = stopReasonFromString(reason);
        if (!d.stopReason)
            return bad(QStringLiteral("unknown stop reason \"%1\"").arg(reason));
    } else {
        return bad(QStringLiteral("unknown kind \"%1\"").arg(kind));
    }
    d.decidedWallMs = std::int64_t(o.value(QStringLiteral("at")).toDouble());
    if (o.contains(QStringLiteral("due")))
        d.dueWallMs = std::int64_t(o.value(QStringLiteral("due")).toDouble());
    d.healthScore = o.value(QStringLiteral("hs")).toDouble();
    d.unhealthyScore = o.value(QStringLiteral("us")).toDouble();
    d.errorRate = o.value(QStringLiteral("er")).toDouble();
    d.meanLatencyMs = o.value(QStringLiteral("lat")).toDouble();
    return d;
}

} // namespace

QByteArray DecisionCodec::encode(const SharedDecision &d)
{
    return QJsonDocument(toObject(d)).toJson(QJsonDocument::Compact);
}

Result<SharedDecision> DecisionCodec::decode(const QByteArray &json)
{
    QJsonParseError e;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &e);
    if (!doc.isObject())
        return bad(QStringLiteral("not a JSON object (%1)").arg(e.errorString()));
    return fromObject(doc.object());
}

QByteArray DecisionCodec::encodeBatch(const QList<Change> &changes)
{
    QJsonArray a;
    for (const Change &c : changes) {
        if (c.gone)
            a.append(QJsonObject{{QStringLiteral("e"), c.decision.endpoint},
                                 {QStringLiteral("i"), c.decision.taskId},
                                 {QStringLiteral("m"), c.decision.member},
                                 {QStringLiteral("gone"), true}});
        else
            a.append(toObject(c.decision));
    }
    return QJsonDocument(a).toJson(QJsonDocument::Compact);
}

Result<QList<DecisionCodec::Change>> DecisionCodec::decodeBatch(const QByteArray &json)
{
    QJsonParseError e;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &e);
    if (!doc.isArray())
        return bad(QStringLiteral("batch is not a JSON array (%1)").arg(e.errorString()));
    QList<Change> out;
    for (const QJsonValue &v : doc.array()) {
        const QJsonObject o = v.toObject();
        Change c;
        if (o.value(QStringLiteral("gone")).toBool()) {
            c.gone = true;
            c.decision.endpoint = o.value(QStringLiteral("e")).toString();
            c.decision.taskId = o.value(QStringLiteral("i")).toString();
            c.decision.member = o.value(QStringLiteral("m")).toString();
            if (c.decision.endpoint.isEmpty() || c.decision.taskId.isEmpty())
                return bad(QStringLiteral("a withdrawal without \"e\" and \"i\""));
        } else {
            auto d = fromObject(o);
            if (!d)
                return d.error();
            c.decision = *d;
        }
        out.append(c);
    }
    return out;
}

QByteArray DecisionCodec::field(const QString &endpoint, const QString &taskId)
{
    return endpoint.toUtf8() + '\n' + taskId.toUtf8();
}

} // namespace rebound
