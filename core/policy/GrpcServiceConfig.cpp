#include "policy/GrpcServiceConfig.h"

#include "policy/PolicyDocument.h"
#include "policy/PolicySchema.h"
#include "support/JsonInput.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>

#include <array>
#include <cmath>

namespace rebound {

namespace {

struct CodeRow
{
    const char *name;
    int number;
    int http; ///< canonical HTTP status for import
};

// google.rpc.Code with its standard HTTP mapping.
constexpr std::array<CodeRow, 17> kCodes = {{
    {"OK", 0, 200},
    {"CANCELLED", 1, 499},
    {"UNKNOWN", 2, 500},
    {"INVALID_ARGUMENT", 3, 400},
    {"DEADLINE_EXCEEDED", 4, 504},
    {"NOT_FOUND", 5, 404},
    {"ALREADY_EXISTS", 6, 409},
    {"PERMISSION_DENIED", 7, 403},
    {"RESOURCE_EXHAUSTED", 8, 429},
    {"FAILED_PRECONDITION", 9, 400},
    {"ABORTED", 10, 409},
    {"OUT_OF_RANGE", 11, 400},
    {"UNIMPLEMENTED", 12, 501},
    {"INTERNAL", 13, 500},
    {"UNAVAILABLE", 14, 503},
    {"DATA_LOSS", 15, 500},
    {"UNAUTHENTICATED", 16, 401},
}};

// HTTP -> gRPC for export; 502 follows gRPC's own HTTP-to-status table (UNAVAILABLE).
struct HttpRow
{
    int http;
    const char *code;
};
constexpr std::array<HttpRow, 12> kHttpToCode = {{
    {400, "INVALID_ARGUMENT"},
    {401, "UNAUTHENTICATED"},
    {403, "PERMISSION_DENIED"},
    {404, "NOT_FOUND"},
    {409, "ABORTED"},
    {429, "RESOURCE_EXHAUSTED"},
    {499, "CANCELLED"},
    {500, "INTERNAL"},
    {501, "UNIMPLEMENTED"},
    {502, "UNAVAILABLE"},
    {503, "UNAVAILABLE"},
    {504, "DEADLINE_EXCEEDED"},
}};

constexpr std::array<int, 7> kDefaultRetryable = {408, 425, 429, 500, 502, 503, 504};

} // namespace

std::optional<int> GrpcServiceConfig::httpForCode(const QString &codeName)
{
    for (const CodeRow &r : kCodes) {
        if (codeName.compare(QLatin1String(r.name), Qt::CaseInsensitive) == 0)
            return r.http;
    }
    return std::nullopt;
}

std::optional<QString> GrpcServiceConfig::codeNameFromNumber(int code)
{
    for (const CodeRow &r : kCodes) {
        if (r.number == code)
            return QString::fromLatin1(r.name);
    }
    return std::nullopt;
}

QString GrpcServiceConfig::codeForHttp(int status)
{
    for (const HttpRow &r : kHttpToCode) {
        if (r.http == status)
            return QString::fromLatin1(r.code);
    }
    return {};
}

std::optional<double> GrpcServiceConfig::parseDurationMs(const QJsonValue &value)
{
    if (value.isString()) {
        static const QRegularExpression re(QStringLiteral("^(\\d{1,12})(?:\\.(\\d{1,9}))?s$"));
        const auto m = re.match(value.toString());
        if (!m.hasMatch())
            return std::nullopt;
        double ms = m.captured(1).toDouble() * 1000.0;
        if (m.hasCaptured(2))
            ms += QStringLiteral("0.%1").arg(m.captured(2)).toDouble() * 1000.0;
        return ms;
    }
    if (value.isObject()) { // the non-JSON-mapping form {seconds, nanos}
        const QJsonObject o = value.toObject();
        const double s = o.value(QStringLiteral("seconds")).toDouble(-1);
        const double n = o.value(QStringLiteral("nanos")).toDouble(0);
        if (s < 0 || n < 0 || n >= 1e9 || s != std::floor(s) || n != std::floor(n))
            return std::nullopt;
        return s * 1000.0 + n / 1e6;
    }
    return std::nullopt;
}

QString GrpcServiceConfig::formatDurationMs(double ms)
{
    // Up to millisecond precision, shortest form: 200 -> "0.2s", 30000 -> "30s".
    QString s = QString::number(ms / 1000.0, 'f', 3);
    while (s.endsWith(u'0'))
        s.chop(1);
    if (s.endsWith(u'.'))
        s.chop(1);
    return s + u's';
}

GrpcImport GrpcServiceConfig::importJson(const QByteArray &json)
{
    GrpcImport out;
    const auto object = JsonInput::parseObject(json, QStringLiteral("invalid-grpc-config"),
                                               QStringLiteral(" (a gRPC service config)"));
    if (!object) {
        out.errors << object.error().message;
        return out;
    }
    const QJsonValue mc = object->value(QStringLiteral("methodConfig"));
    if (!mc.isArray()) {
        out.errors << QStringLiteral("methodConfig: must be an array");
        return out;
    }
    PolicySet set;
    const QJsonArray configs = mc.toArray();
    // The same limits a Rebound document has: an import must always be a valid one.
    if (configs.size() > PolicyDocument::kMaxPolicies) {
        out.errors << QStringLiteral("methodConfig: %1 entries, at most %2")
                          .arg(configs.size())
                          .arg(PolicyDocument::kMaxPolicies);
        return out;
    }
    QSet<QString> names;
    for (qsizetype i = 0; i < configs.size(); ++i) {
        const QString path = QStringLiteral("methodConfig[%1]").arg(i);
        const QJsonObject c = configs.at(i).toObject();
        if (!configs.at(i).isObject()) {
            out.errors << path + QStringLiteral(": must be an object");
            continue;
        }
        if (!c.contains(QStringLiteral("retryPolicy"))) {
            out.warnings << path + QStringLiteral(": has no retryPolicy; skipped");
            continue;
        }
        RetryPolicy p;
        p.backoff.jitter = JitterMode::Full;
        // match globs from the name entries
        const QJsonValue nameVal = c.value(QStringLiteral("name"));
        QStringList globs;
        if (!nameVal.isArray() || nameVal.toArray().isEmpty()) {
            out.errors << path + QStringLiteral(".name: must be a non-empty array");
        } else if (nameVal.toArray().size() > PolicyDocument::kMaxListItems) {
            out.errors << path + QStringLiteral(".name: %1 entries, at most %2")
                                     .arg(nameVal.toArray().size())
                                     .arg(PolicyDocument::kMaxListItems);
        } else {
            const QJsonArray entries = nameVal.toArray();
            for (qsizetype k = 0; k < entries.size(); ++k) {
                const QJsonObject e = entries.at(k).toObject();
                const QString service = e.value(QStringLiteral("service")).toString();
                const QString method = e.value(QStringLiteral("method")).toString();
                if (!entries.at(k).isObject() || (service.isEmpty() && !method.isEmpty())) {
                    out.errors << QStringLiteral("%1.name[%2]: must be {}, {\"service\"} or "
                                                 "{\"service\", \"method\"}")
                                      .arg(path)
                                      .arg(k);
                    continue;
                }
                globs << (service.isEmpty()  ? QStringLiteral("*")
                          : method.isEmpty() ? service + QStringLiteral(".*")
                                             : service + u'.' + method);
            }
        }
        if (!globs.isEmpty())
            p.matchTypes = globs;
        QString name = globs.isEmpty() ? QStringLiteral("grpc-%1").arg(i) : globs.join(u',');
        // A long list of names makes a label too long for a policy name: shortened, and kept
        // unique by the entry's index.
        if (name.size() > PolicyDocument::kMaxNameLength)
            name = name.left(PolicyDocument::kMaxNameLength - 16) + QStringLiteral("…#%1").arg(i);
        if (names.contains(name))
            name += QStringLiteral("#%1").arg(i);
        names.insert(name);
        p.name = name;

        const QString rp = path + QStringLiteral(".retryPolicy");
        const QJsonObject r = c.value(QStringLiteral("retryPolicy")).toObject();
        const QJsonValue maxAttempts = r.value(QStringLiteral("maxAttempts"));
        if (!maxAttempts.isDouble() ||
            maxAttempts.toDouble() != std::floor(maxAttempts.toDouble()) ||
            maxAttempts.toDouble() < 2 || maxAttempts.toDouble() > 1e6) {
            out.errors << rp + QStringLiteral(".maxAttempts: must be an integer ≥ 2");
        } else {
            p.backoff.maxAttempts = maxAttempts.toInt();
            if (p.backoff.maxAttempts > 5)
                out.warnings
                    << rp + QStringLiteral(
                                ".maxAttempts: gRPC clients cap this at 5; Rebound keeps %1")
                                .arg(p.backoff.maxAttempts);
        }
        // Rebound's longest delay (the schema's limit): a longer gRPC duration is refused here,
        // or the import would be a document Rebound itself refuses.
        const double longest = PolicySchema::find(QStringLiteral("backoff"),
                                                  QStringLiteral("maxDelayMs"))
                                   ->max;
        const QString tooLong = QStringLiteral(": must be at most %1s (Rebound's longest delay)")
                                    .arg(qint64(longest / 1000));
        const auto initial = parseDurationMs(r.value(QStringLiteral("initialBackoff")));
        if (!initial || *initial <= 0)
            out.errors << rp + QStringLiteral(
                                   ".initialBackoff: must be a positive duration such as \"0.1s\"");
        else if (*initial > longest)
            out.errors << rp + QStringLiteral(".initialBackoff") + tooLong;
        else
            p.backoff.initialDelayMs = *initial;
        const auto maxB = parseDurationMs(r.value(QStringLiteral("maxBackoff")));
        if (!maxB || *maxB <= 0)
            out.errors << rp + QStringLiteral(
                                   ".maxBackoff: must be a positive duration such as \"1s\"");
        else if (*maxB > longest)
            out.errors << rp + QStringLiteral(".maxBackoff") + tooLong;
        else
            p.backoff.maxDelayMs = *maxB;
        if (initial && maxB && *maxB < *initial)
            out.errors << rp + QStringLiteral(".maxBackoff: must be ≥ initialBackoff");
        const QJsonValue mult = r.value(QStringLiteral("backoffMultiplier"));
        if (!mult.isDouble() || mult.toDouble() < 1 || mult.toDouble() > 1000)
            out.errors << rp + QStringLiteral(".backoffMultiplier: must be a number ≥ 1");
        else
            p.backoff.multiplier = mult.toDouble();

        const QJsonValue codes = r.value(QStringLiteral("retryableStatusCodes"));
        if (!codes.isArray() || codes.toArray().isEmpty()) {
            out.errors << rp + QStringLiteral(".retryableStatusCodes: must be a non-empty array");
        } else {
            QList<int> retryable;
            bool timeouts = false;
            const QJsonArray arr = codes.toArray();
            for (qsizetype k = 0; k < arr.size(); ++k) {
                QString codeName;
                if (arr.at(k).isString())
                    codeName = arr.at(k).toString().toUpper();
                else if (arr.at(k).isDouble())
                    codeName = codeNameFromNumber(arr.at(k).toInt(-1)).value_or(QString());
                const auto http = httpForCode(codeName);
                if (!http || codeName == QLatin1String("OK")) {
                    out.errors << QStringLiteral(
                                      "%1.retryableStatusCodes[%2]: not a gRPC status code")
                                      .arg(rp)
                                      .arg(k);
                    continue;
                }
                if (!retryable.contains(*http))
                    retryable << *http;
                if (codeName == QLatin1String("DEADLINE_EXCEEDED"))
                    timeouts = true;
            }
            std::sort(retryable.begin(), retryable.end());
            p.classification.retryableStatusCodes = retryable;
            p.classification.retryTimeouts = timeouts;
            for (int s : kDefaultRetryable) {
                if (!retryable.contains(s))
                    p.classification.nonRetryableStatusCodes << s;
            }
        }
        set.policies << p;
    }
    if (out.errors.isEmpty())
        out.set = std::move(set);
    return out;
}

GrpcExport GrpcServiceConfig::exportPolicy(const RetryPolicy &p)
{
    GrpcExport out;
    QJsonArray names;
    for (const QString &g : p.matchTypes) {
        if (g == QLatin1String("*")) {
            names.append(QJsonObject{});
            continue;
        }
        const qsizetype dot = g.lastIndexOf(u'.');
        const QString service = dot < 0 ? QString() : g.left(dot);
        const QString method = dot < 0 ? QString() : g.mid(dot + 1);
        const auto wild = [](const QString &s) { return s.contains(u'*') || s.contains(u'?'); };
        if (dot <= 0 || wild(service) || (method != QLatin1String("*") && wild(method)) ||
            method.isEmpty()) {
            out.errors << QStringLiteral("match.type \"%1\": cannot be written as a gRPC name (use "
                                         "*, service.* or service.method)")
                              .arg(g);
            continue;
        }
        QJsonObject e{{QStringLiteral("service"), service}};
        if (method != QLatin1String("*"))
            e.insert(QStringLiteral("method"), method);
        names.append(e);
    }
    if (p.backoff.maxAttempts < 2)
        out.errors << QStringLiteral("backoff.maxAttempts: gRPC needs ≥ 2 (it is %1)")
                          .arg(p.backoff.maxAttempts);
    if (p.backoff.initialDelayMs <= 0)
        out.errors << QStringLiteral(
            "backoff.initialDelayMs: gRPC needs a positive initialBackoff");
    if (p.backoff.jitter != JitterMode::Full)
        out.warnings << QStringLiteral(
                            "backoff.jitter: gRPC always uses full jitter; \"%1\" is not kept")
                            .arg(toText(p.backoff.jitter));
    if (p.backoff.totalDeadlineMs > 0)
        out.warnings << QStringLiteral(
            "backoff.totalDeadlineMs: a gRPC retryPolicy has no total deadline; not kept");

    QStringList codes;
    QList<int> statuses(kDefaultRetryable.begin(), kDefaultRetryable.end());
    for (int s : p.classification.retryableStatusCodes) {
        if (!statuses.contains(s))
            statuses << s;
    }
    std::sort(statuses.begin(), statuses.end());
    for (int s : statuses) {
        if (!p.classification.retriesStatus(s))
            continue;
        const QString code = codeForHttp(s);
        if (code.isEmpty()) {
            out.warnings
                << QStringLiteral(
                       "classification: HTTP %1 is retryable but has no gRPC status code; not kept")
                       .arg(s);
            continue;
        }
        if (code == QLatin1String("DEADLINE_EXCEEDED") && !p.classification.retryTimeouts)
            continue; // timeouts not retried: DEADLINE_EXCEEDED must not be listed
        if (!codes.contains(code))
            codes << code;
    }
    if (p.classification.retryTimeouts && !codes.contains(QStringLiteral("DEADLINE_EXCEEDED")))
        codes << QStringLiteral("DEADLINE_EXCEEDED");
    if (!p.classification.retryableProblemTypes.isEmpty() ||
        !p.classification.nonRetryableProblemTypes.isEmpty())
        out.warnings << QStringLiteral(
            "classification: problem-type rules have no gRPC counterpart; not kept");
    if (codes.isEmpty())
        out.errors << QStringLiteral("classification: no retryable status maps to a gRPC code");

    if (!out.errors.isEmpty())
        return out;
    const QJsonObject retry{
        {QStringLiteral("maxAttempts"), p.backoff.maxAttempts},
        {QStringLiteral("initialBackoff"), formatDurationMs(p.backoff.initialDelayMs)},
        {QStringLiteral("maxBackoff"), formatDurationMs(p.backoff.maxDelayMs)},
        {QStringLiteral("backoffMultiplier"), p.backoff.multiplier},
        {QStringLiteral("retryableStatusCodes"), QJsonArray::fromStringList(codes)},
    };
    out.serviceConfig =
        QJsonObject{{QStringLiteral("methodConfig"),
                     QJsonArray{QJsonObject{{QStringLiteral("name"), names},
                                            {QStringLiteral("retryPolicy"), retry}}}}};
    return out;
}

} // namespace rebound
