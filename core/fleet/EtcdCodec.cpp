#include "fleet/EtcdCodec.h"

#include <QJsonArray>
#include <QJsonDocument>

#include <cmath>

namespace rebound {

namespace {

Result<QByteArray> bytes(const QJsonObject &o, const QString &key, const QString &where)
{
    const QJsonValue v = o.value(key);
    if (v.isUndefined())
        return QByteArray();
    if (!v.isString())
        return Error{QStringLiteral("etcd-malformed"),
                     QStringLiteral("%1.%2: expected base64 text").arg(where, key)};
    const auto decoded = QByteArray::fromBase64Encoding(v.toString().toLatin1(),
                                                        QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded)
        return Error{QStringLiteral("etcd-malformed"),
                     QStringLiteral("%1.%2: not base64").arg(where, key)};
    return *decoded;
}

} // namespace

QString EtcdCodec::base64(const QByteArray &bytes)
{
    return QString::fromLatin1(bytes.toBase64());
}

Result<std::int64_t> EtcdCodec::int64(const QJsonObject &object, const QString &key,
                                      const QString &where)
{
    const QJsonValue v = object.value(key);
    if (v.isUndefined())
        return std::int64_t(0);
    if (v.isString()) {
        bool ok = false;
        const qlonglong n = v.toString().toLongLong(&ok);
        if (ok)
            return std::int64_t(n);
    } else if (v.isDouble()) {
        const double d = v.toDouble();
        // Only below 2^53 is a JSON number exact.
        if (std::trunc(d) == d && std::fabs(d) < 9007199254740992.0)
            return static_cast<std::int64_t>(d);
    }
    return Error{QStringLiteral("etcd-malformed"),
                 QStringLiteral("%1.%2: expected a 64-bit integer").arg(where, key)};
}

Result<StoredKey> EtcdCodec::keyValue(const QJsonObject &kv, const QString &where)
{
    StoredKey out;
    auto key = bytes(kv, QStringLiteral("key"), where);
    auto value = bytes(kv, QStringLiteral("value"), where);
    auto created = int64(kv, QStringLiteral("create_revision"), where);
    auto modified = int64(kv, QStringLiteral("mod_revision"), where);
    auto lease = int64(kv, QStringLiteral("lease"), where);
    for (const Error *e :
         {key ? nullptr : &key.error(), value ? nullptr : &value.error(),
          created ? nullptr : &created.error(), modified ? nullptr : &modified.error(),
          lease ? nullptr : &lease.error()})
        if (e)
            return *e;
    out.key = *key;
    out.value = *value;
    out.createRevision = *created;
    out.modRevision = *modified;
    out.lease = *lease;
    return out;
}

Result<QJsonObject> EtcdCodec::object(const QByteArray &body, const QString &where)
{
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(body, &pe);
    if (pe.error != QJsonParseError::NoError || !doc.isObject())
        return Error{
            QStringLiteral("etcd-malformed"),
            QStringLiteral("%1: expected a JSON object (%2)").arg(where, pe.errorString())};
    return doc.object();
}

Result<std::int64_t> EtcdCodec::headerRevision(const QJsonObject &answer, const QString &where)
{
    return int64(answer.value(QStringLiteral("header")).toObject(), QStringLiteral("revision"),
                 where + QStringLiteral(".header"));
}

Result<KeyRange> EtcdCodec::range(const QByteArray &body)
{
    const QString where = QStringLiteral("range");
    auto o = object(body, where);
    if (!o)
        return o.error();
    KeyRange out;
    auto rev = headerRevision(*o, where);
    if (!rev)
        return rev.error();
    out.revision = *rev;
    const QJsonArray kvs = o->value(QStringLiteral("kvs")).toArray();
    for (qsizetype i = 0; i < kvs.size(); ++i) {
        auto kv = keyValue(kvs.at(i).toObject(), QStringLiteral("range.kvs[%1]").arg(i));
        if (!kv)
            return kv.error();
        out.kvs.append(*kv);
    }
    return out;
}

Result<WatchMessage> EtcdCodec::watchLine(const QByteArray &line)
{
    auto o = object(line, QStringLiteral("watch"));
    if (!o)
        return o.error();
    if (o->contains(QStringLiteral("error"))) {
        const QJsonObject e = o->value(QStringLiteral("error")).toObject();
        return Error{
            QStringLiteral("etcd-watch-error"),
            QStringLiteral("watch: %1").arg(e.value(QStringLiteral("message")).toString())};
    }
    if (!o->value(QStringLiteral("result")).isObject())
        return Error{QStringLiteral("etcd-malformed"), QStringLiteral("watch: no result")};
    const QJsonObject r = o->value(QStringLiteral("result")).toObject();
    const QString where = QStringLiteral("watch.result");
    WatchMessage m;
    auto rev = headerRevision(r, where);
    auto compact = int64(r, QStringLiteral("compact_revision"), where);
    auto watchId = int64(r, QStringLiteral("watch_id"), where);
    if (!rev)
        return rev.error();
    if (!watchId)
        return watchId.error();
    m.watchId = *watchId;
    if (!compact)
        return compact.error();
    m.revision = *rev;
    m.compactRevision = *compact;
    m.created = r.value(QStringLiteral("created")).toBool();
    m.canceled = r.value(QStringLiteral("canceled")).toBool();
    m.cancelReason = r.value(QStringLiteral("cancel_reason")).toString();
    const QJsonArray events = r.value(QStringLiteral("events")).toArray();
    for (qsizetype i = 0; i < events.size(); ++i) {
        const QJsonObject e = events.at(i).toObject();
        const QString at = QStringLiteral("%1.events[%2]").arg(where).arg(i);
        const QJsonValue type = e.value(QStringLiteral("type"));
        // PUT is the default, so it is omitted.
        if (!type.isUndefined() && type != QLatin1String("PUT") && type != QLatin1String("DELETE"))
            return Error{QStringLiteral("etcd-malformed"),
                         QStringLiteral("%1.type: unknown event type").arg(at)};
        auto kv = keyValue(e.value(QStringLiteral("kv")).toObject(), at + QStringLiteral(".kv"));
        if (!kv)
            return kv.error();
        m.events.append({type == QLatin1String("DELETE"), *kv});
    }
    return m;
}

} // namespace rebound
