#include "policy/PolicyDocument.h"

#include "policy/PolicySchema.h"

#include "support/JsonInput.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>

#include <cmath>
#include <limits>

namespace rebound {

namespace {

QString num(double v)
{
    return QString::number(v, 'g', 15);
}

// Reads the members of one JSON object into a struct, collecting errors with their paths and
// flagging members nobody asked for.
class ObjectReader
{
public:
    ObjectReader(const QJsonValue &value, QString path, QStringList &errors)
        : m_path(std::move(path)), m_errors(errors)
    {
        if (value.isUndefined())
            return;
        if (!value.isObject()) {
            error(m_path, QStringLiteral("must be an object"));
            return;
        }
        m_object = value.toObject();
    }

    ~ObjectReader()
    {
        for (auto it = m_object.begin(); it != m_object.end(); ++it) {
            if (!m_seen.contains(it.key()))
                error(field(it.key()), QStringLiteral("unknown field"));
        }
    }

    QString field(const QString &key) const { return m_path.isEmpty() ? key : m_path + u'.' + key; }
    void error(const QString &path, const QString &reason)
    {
        m_errors << path + QStringLiteral(": ") + reason;
    }

    QJsonValue take(const char *key)
    {
        const QString k = QString::fromLatin1(key);
        m_seen.insert(k);
        return m_object.value(k);
    }

    void number(const char *key, double &out, double min, double max, bool minExclusive = false)
    {
        const QJsonValue v = take(key);
        if (v.isUndefined())
            return;
        const QString path = field(QString::fromLatin1(key));
        if (!v.isDouble() || !std::isfinite(v.toDouble())) {
            error(path, QStringLiteral("must be a number"));
            return;
        }
        const double d = v.toDouble();
        if (minExclusive ? d <= min : d < min) {
            error(path,
                  (minExclusive ? QStringLiteral("must be > ") : QStringLiteral("must be ≥ ")) +
                      num(min));
            return;
        }
        if (d > max) {
            error(path, QStringLiteral("must be ≤ ") + num(max));
            return;
        }
        out = d;
    }

    template <typename Int>
    void integer(const char *key, Int &out, std::int64_t min, std::int64_t max)
    {
        const QJsonValue v = take(key);
        if (v.isUndefined())
            return;
        const QString path = field(QString::fromLatin1(key));
        const double d = v.toDouble();
        if (!v.isDouble() || !std::isfinite(d) || d != std::floor(d)) {
            error(path, QStringLiteral("must be an integer"));
            return;
        }
        if (d < static_cast<double>(min)) {
            error(path, QStringLiteral("must be ≥ ") + QString::number(min));
            return;
        }
        if (d > static_cast<double>(max)) {
            error(path, QStringLiteral("must be ≤ ") + QString::number(max));
            return;
        }
        out = static_cast<Int>(d);
    }

    void boolean(const char *key, bool &out)
    {
        const QJsonValue v = take(key);
        if (v.isUndefined())
            return;
        if (!v.isBool()) {
            error(field(QString::fromLatin1(key)), QStringLiteral("must be true or false"));
            return;
        }
        out = v.toBool();
    }

    /// Any scalar field of the schema, checked against its kind and range.
    void field(const PolicyField &f, RetryPolicy &p)
    {
        switch (f.kind) {
        case PolicyField::Kind::Real: {
            double d = f.get(p).toDouble();
            number(f.key, d, f.min, f.max, f.minExclusive);
            f.set(p, d);
            return;
        }
        case PolicyField::Kind::Integer: {
            qint64 i = f.get(p).toInteger();
            integer(f.key, i, static_cast<std::int64_t>(f.min), static_cast<std::int64_t>(f.max));
            f.set(p, QJsonValue(i));
            return;
        }
        case PolicyField::Kind::Boolean: {
            bool b = f.get(p).toBool();
            boolean(f.key, b);
            f.set(p, b);
            return;
        }
        case PolicyField::Kind::Choice: {
            const QJsonValue v = take(f.key);
            if (v.isUndefined())
                return;
            if (!v.isString() || !f.choices.contains(v.toString()) || !f.set(p, v))
                error(field(QString::fromLatin1(f.key)),
                      QStringLiteral("must be one of ") + f.choices.join(QStringLiteral(", ")));
            return;
        }
        }
    }

    template <typename Enum>
    void choice(const char *key, Enum &out, std::optional<Enum> (*parse)(const QString &),
                const char *allowed)
    {
        const QJsonValue v = take(key);
        if (v.isUndefined())
            return;
        const auto parsed = v.isString() ? parse(v.toString()) : std::nullopt;
        if (!parsed) {
            error(field(QString::fromLatin1(key)),
                  QStringLiteral("must be one of ") + QString::fromLatin1(allowed));
            return;
        }
        out = *parsed;
    }

    void statusList(const char *key, QList<int> &out)
    {
        const QJsonValue v = take(key);
        if (v.isUndefined())
            return;
        const QString path = field(QString::fromLatin1(key));
        if (!v.isArray()) {
            error(path, QStringLiteral("must be an array of HTTP status codes"));
            return;
        }
        QList<int> codes;
        const QJsonArray a = v.toArray();
        if (a.size() > PolicyDocument::kMaxListItems) {
            error(path, QStringLiteral("%1 items, at most %2")
                            .arg(a.size())
                            .arg(PolicyDocument::kMaxListItems));
            return;
        }
        for (qsizetype i = 0; i < a.size(); ++i) {
            const double d = a.at(i).toDouble();
            if (!a.at(i).isDouble() || d != std::floor(d) || d < 100 || d > 599) {
                error(QStringLiteral("%1[%2]").arg(path).arg(i),
                      QStringLiteral("must be an HTTP status code (100–599)"));
                continue;
            }
            codes << static_cast<int>(d);
        }
        out = codes;
    }

    void stringList(const char *key, QList<QString> &out, bool allowSingleString = false)
    {
        const QJsonValue v = take(key);
        if (v.isUndefined())
            return;
        const QString path = field(QString::fromLatin1(key));
        if (allowSingleString && v.isString()) {
            if (v.toString().isEmpty())
                error(path, QStringLiteral("must not be empty"));
            else
                out = {v.toString()};
            return;
        }
        if (!v.isArray()) {
            error(path, allowSingleString
                            ? QStringLiteral("must be a string or an array of strings")
                            : QStringLiteral("must be an array of strings"));
            return;
        }
        QList<QString> items;
        const QJsonArray a = v.toArray();
        if (a.size() > PolicyDocument::kMaxListItems) {
            error(path, QStringLiteral("%1 items, at most %2")
                            .arg(a.size())
                            .arg(PolicyDocument::kMaxListItems));
            return;
        }
        for (qsizetype i = 0; i < a.size(); ++i) {
            if (!a.at(i).isString() || a.at(i).toString().isEmpty()) {
                error(QStringLiteral("%1[%2]").arg(path).arg(i),
                      QStringLiteral("must be a non-empty string"));
                continue;
            }
            items << a.at(i).toString();
        }
        out = items;
    }

private:
    QJsonObject m_object;
    QString m_path;
    QStringList &m_errors;
    QSet<QString> m_seen;
};

/// The scalar fields of `section`, as PolicySchema declares them.
void readFields(ObjectReader &r, const char *section, RetryPolicy &p)
{
    for (const PolicyField &f : PolicySchema::fields()) {
        if (qstrcmp(f.section, section) == 0)
            r.field(f, p);
    }
}

void readBackoff(const QJsonValue &v, const QString &path, RetryPolicy &p, QStringList &errors)
{
    ObjectReader r(v, path, errors);
    readFields(r, "backoff", p);
    const BackoffConfig &b = p.backoff;
    if (b.maxDelayMs < b.initialDelayMs)
        r.error(r.field(QStringLiteral("maxDelayMs")),
                QStringLiteral("must be ≥ initialDelayMs (%1)").arg(num(b.initialDelayMs)));
}

void readClassification(const QJsonValue &v, const QString &path, RetryPolicy &p,
                        QStringList &errors)
{
    ObjectReader r(v, path, errors);
    ClassificationConfig &c = p.classification;
    r.statusList("retryableStatusCodes", c.retryableStatusCodes);
    r.statusList("nonRetryableStatusCodes", c.nonRetryableStatusCodes);
    r.stringList("retryableProblemTypes", c.retryableProblemTypes);
    r.stringList("nonRetryableProblemTypes", c.nonRetryableProblemTypes);
    readFields(r, "classification", p);
    for (int code : c.retryableStatusCodes) {
        if (c.nonRetryableStatusCodes.contains(code))
            r.error(r.field(QStringLiteral("retryableStatusCodes")),
                    QStringLiteral("%1 is also listed in nonRetryableStatusCodes").arg(code));
    }
    for (const QString &t : c.retryableProblemTypes) {
        if (c.nonRetryableProblemTypes.contains(t))
            r.error(r.field(QStringLiteral("retryableProblemTypes")),
                    QStringLiteral("%1 is also listed in nonRetryableProblemTypes").arg(t));
    }
}

void readBreaker(const QJsonValue &v, const QString &path, RetryPolicy &p, QStringList &errors)
{
    ObjectReader r(v, path, errors);
    readFields(r, "breaker", p);
    if (p.breaker.windowType == SlidingWindowType::TimeBased && p.breaker.windowSize > 3600)
        r.error(r.field(QStringLiteral("windowSize")),
                QStringLiteral("must be ≤ 3600 seconds for a time window"));
    // A count window never holds more calls than its size: a larger minimum could never be
    // reached and the breaker would never open.
    if (p.breaker.windowType == SlidingWindowType::CountBased &&
        p.breaker.minimumNumberOfCalls > p.breaker.windowSize)
        r.error(r.field(QStringLiteral("minimumNumberOfCalls")),
                QStringLiteral("must be ≤ windowSize (%1) for a count window: a window of %1 "
                               "calls never holds more")
                    .arg(p.breaker.windowSize));
}

void readTimeout(const QJsonValue &v, const QString &path, RetryPolicy &p, QStringList &errors)
{
    ObjectReader r(v, path, errors);
    readFields(r, "timeout", p);
    const TimeoutConfig &t = p.timeout;
    if (t.ceilingMs < t.floorMs)
        r.error(r.field(QStringLiteral("ceilingMs")),
                QStringLiteral("must be ≥ floorMs (%1)").arg(t.floorMs));
    if (t.minSamples > t.windowSize)
        r.error(r.field(QStringLiteral("minSamples")),
                QStringLiteral("must be ≤ windowSize (%1)").arg(t.windowSize));
}

void readSection(const char *section, const QJsonValue &v, const QString &path, RetryPolicy &p,
                 QStringList &errors)
{
    ObjectReader r(v, path, errors);
    readFields(r, section, p);
}

QJsonArray toArray(const QList<int> &codes)
{
    QJsonArray a;
    for (int c : codes)
        a.append(c);
    return a;
}

} // namespace

PolicyValidation PolicyDocument::parse(const QByteArray &json)
{
    PolicyValidation out;
    if (json.size() > kMaxBytes) {
        out.errors << QStringLiteral("$: document is %1 bytes, larger than the %2-byte limit")
                          .arg(json.size())
                          .arg(kMaxBytes);
        return out;
    }
    const auto object = JsonInput::parseObject(json, QStringLiteral("invalid-policy"));
    if (!object) {
        out.errors << object.error().message;
        return out;
    }
    return fromJson(*object);
}

PolicyValidation PolicyDocument::fromJson(const QJsonObject &document)
{
    PolicyValidation out;
    PolicySet set;
    {
        ObjectReader top(QJsonValue(document), QString(), out.errors);
        const QJsonValue version = top.take("version");
        if (version.isUndefined())
            out.errors << QStringLiteral("version: is required (1)");
        else if (!version.isDouble() || version.toDouble() != 1)
            out.errors << QStringLiteral("version: must be 1");

        const QJsonValue policies = top.take("policies");
        if (policies.isUndefined()) {
            out.errors << QStringLiteral("policies: is required");
        } else if (!policies.isArray()) {
            out.errors << QStringLiteral("policies: must be an array");
        } else {
            const QJsonArray arr = policies.toArray();
            QHash<QString, qsizetype> names;
            if (arr.size() > kMaxPolicies)
                out.errors << QStringLiteral("policies: %1 policies, at most %2")
                                  .arg(arr.size())
                                  .arg(kMaxPolicies);
            for (qsizetype i = 0; i < arr.size() && arr.size() <= kMaxPolicies; ++i) {
                const QString path = QStringLiteral("policies[%1]").arg(i);
                RetryPolicy p;
                ObjectReader r(arr.at(i), path, out.errors);
                if (!arr.at(i).isObject())
                    continue;
                const QJsonValue name = r.take("name");
                if (name.isUndefined())
                    r.error(path + QStringLiteral(".name"), QStringLiteral("is required"));
                else if (!name.isString() || name.toString().trimmed().isEmpty())
                    r.error(path + QStringLiteral(".name"),
                            QStringLiteral("must be a non-empty string"));
                else if (name.toString().size() > kMaxNameLength)
                    r.error(path + QStringLiteral(".name"),
                            QStringLiteral("%1 characters, at most %2")
                                .arg(name.toString().size())
                                .arg(kMaxNameLength));
                else if (names.contains(name.toString()))
                    r.error(path + QStringLiteral(".name"),
                            QStringLiteral("duplicate of policies[%1].name \"%2\"")
                                .arg(names.value(name.toString()))
                                .arg(name.toString()));
                else {
                    p.name = name.toString();
                    names.insert(p.name, i);
                }
                {
                    ObjectReader match(r.take("match"), path + QStringLiteral(".match"),
                                       out.errors);
                    match.stringList("type", p.matchTypes, true);
                }
                readBackoff(r.take("backoff"), path + QStringLiteral(".backoff"), p, out.errors);
                readClassification(r.take("classification"),
                                   path + QStringLiteral(".classification"), p, out.errors);
                readBreaker(r.take("breaker"), path + QStringLiteral(".breaker"), p, out.errors);
                readTimeout(r.take("timeout"), path + QStringLiteral(".timeout"), p, out.errors);
                readSection("budget", r.take("budget"), path + QStringLiteral(".budget"), p,
                            out.errors);
                readSection("health", r.take("health"), path + QStringLiteral(".health"), p,
                            out.errors);
                set.policies << p;
            }
        }
    } // readers report unknown fields on destruction
    if (out.errors.size() > kMaxErrors) {
        // A file of a million mistakes gets a readable report, not a million lines.
        const qsizetype more = out.errors.size() - kMaxErrors;
        out.errors.resize(kMaxErrors);
        out.errors << QStringLiteral("$: %1 more errors not listed").arg(more);
    }
    if (out.errors.isEmpty())
        out.set = std::move(set);
    return out;
}

QJsonObject PolicyDocument::toJson(const RetryPolicy &p)
{
    QJsonObject o;
    o.insert(QStringLiteral("name"), p.name);
    o.insert(QStringLiteral("match"),
             QJsonObject{{QStringLiteral("type"),
                          p.matchTypes.size() == 1
                              ? QJsonValue(p.matchTypes.first())
                              : QJsonValue(QJsonArray::fromStringList(p.matchTypes))}});
    // Every scalar field from the schema, section by section; the classification's lists too.
    for (const QString &section : PolicySchema::sections()) {
        QJsonObject obj;
        for (const PolicyField &f : PolicySchema::fields()) {
            if (section == QLatin1String(f.section))
                obj.insert(QLatin1String(f.key), f.get(p));
        }
        if (section == QLatin1String("classification")) {
            const ClassificationConfig &c = p.classification;
            obj.insert(QStringLiteral("retryableStatusCodes"), toArray(c.retryableStatusCodes));
            obj.insert(QStringLiteral("nonRetryableStatusCodes"),
                       toArray(c.nonRetryableStatusCodes));
            obj.insert(QStringLiteral("retryableProblemTypes"),
                       QJsonArray::fromStringList(c.retryableProblemTypes));
            obj.insert(QStringLiteral("nonRetryableProblemTypes"),
                       QJsonArray::fromStringList(c.nonRetryableProblemTypes));
        }
        o.insert(section, obj);
    }
    return o;
}

QJsonObject PolicyDocument::toJson(const PolicySet &set)
{
    QJsonArray arr;
    for (const RetryPolicy &p : set.policies)
        arr.append(toJson(p));
    return QJsonObject{{QStringLiteral("version"), set.version}, {QStringLiteral("policies"), arr}};
}

QByteArray PolicyDocument::serialize(const PolicySet &set)
{
    return QJsonDocument(toJson(set)).toJson(QJsonDocument::Indented);
}

} // namespace rebound
