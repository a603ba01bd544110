#include "FailureProfile.h"

#include <QJsonArray>
#include <QJsonDocument>

#include <algorithm>
#include <cmath>

namespace rebound::taskd {

namespace {

Result<OutcomeMix> readMix(const QJsonValue &v, const QString &path)
{
    if (!v.isObject())
        return Error{QStringLiteral("invalid-profile"),
                     path + QStringLiteral(": must be an object")};
    const QJsonObject o = v.toObject();
    OutcomeMix m;
    QString err;
    auto prob = [&](const char *key, double &out) {
        const QJsonValue x = o.value(QLatin1String(key));
        if (x.isUndefined())
            return;
        if (!x.isDouble() || x.toDouble() < 0 || x.toDouble() > 1)
            err = path + u'.' + QLatin1String(key) +
                  QStringLiteral(": must be a probability in [0, 1]");
        else
            out = x.toDouble();
    };
    auto ms = [&](const char *key, std::int64_t &out) {
        const QJsonValue x = o.value(QLatin1String(key));
        if (x.isUndefined())
            return;
        if (!x.isDouble() || x.toDouble() < 0 || x.toDouble() > 3.6e6 ||
            x.toDouble() != std::floor(x.toDouble()))
            err = path + u'.' + QLatin1String(key) +
                  QStringLiteral(": must be whole milliseconds in [0, 3600000]");
        else
            out = static_cast<std::int64_t>(x.toDouble());
    };
    prob("unavailable", m.unavailable);
    prob("rateLimited", m.rateLimited);
    prob("retryAfterProbability", m.retryAfterProbability);
    prob("timeout", m.timeout);
    prob("business", m.business);
    prob("hang", m.hang);
    ms("retryAfterMinMs", m.retryAfterMinMs);
    ms("retryAfterMaxMs", m.retryAfterMaxMs);
    ms("latencyMinMs", m.latencyMinMs);
    ms("latencyMaxMs", m.latencyMaxMs);
    const QJsonValue problems = o.value(QStringLiteral("businessProblems"));
    if (problems.isArray() && !problems.toArray().isEmpty()) {
        m.businessProblems.clear();
        for (const QJsonValue &p : problems.toArray())
            m.businessProblems << p.toString();
    }
    if (!err.isEmpty())
        return Error{QStringLiteral("invalid-profile"), err};
    if (m.unavailable + m.rateLimited + m.timeout + m.business + m.hang > 1.0 + 1e-9)
        return Error{QStringLiteral("invalid-profile"),
                     path + QStringLiteral(": failure probabilities add up to more than 1")};
    if (m.latencyMaxMs < m.latencyMinMs || m.retryAfterMaxMs < m.retryAfterMinMs)
        return Error{QStringLiteral("invalid-profile"),
                     path + QStringLiteral(": a maximum is below its minimum")};
    return m;
}

} // namespace

FailureProfile FailureProfile::demo()
{
    FailureProfile p;
    OutcomeMix mix;
    mix.unavailable = 0.12;
    mix.rateLimited = 0.06;
    mix.retryAfterProbability = 0.5;
    mix.retryAfterMinMs = 1000;
    mix.retryAfterMaxMs = 4000;
    mix.timeout = 0.05;
    mix.business = 0.04;
    mix.businessProblems = {QStringLiteral("urn:rebound:problem:invalid-payload"),
                            QStringLiteral("urn:rebound:problem:quota-exceeded")};
    mix.latencyMinMs = 40;
    mix.latencyMaxMs = 400;
    p.m_default = mix;
    // One dependency that is having a bad day, so the demo shows a breaker trip and heal.
    OutcomeMix flaky = mix;
    flaky.unavailable = 0.45;
    flaky.timeout = 0.15;
    flaky.latencyMaxMs = 1200;
    p.m_types.insert(QStringLiteral("pdf.render"), flaky);
    return p;
}

FailureProfile FailureProfile::alwaysSucceed()
{
    FailureProfile p;
    p.m_default = OutcomeMix{};
    return p;
}

Result<FailureProfile> FailureProfile::fromJson(const QByteArray &json)
{
    QJsonParseError pe{};
    const QJsonDocument doc = QJsonDocument::fromJson(json, &pe);
    if (pe.error != QJsonParseError::NoError || !doc.isObject())
        return Error{QStringLiteral("invalid-profile"),
                     QStringLiteral("$: not a JSON object (%1)").arg(pe.errorString())};
    FailureProfile p;
    const QJsonObject o = doc.object();
    if (o.contains(QStringLiteral("default"))) {
        auto m = readMix(o.value(QStringLiteral("default")), QStringLiteral("default"));
        if (!m)
            return m.error();
        p.m_default = *m;
    }
    const QJsonObject types = o.value(QStringLiteral("types")).toObject();
    for (auto it = types.begin(); it != types.end(); ++it) {
        auto m = readMix(it.value(), QStringLiteral("types.") + it.key());
        if (!m)
            return m.error();
        p.m_types.insert(it.key(), *m);
    }
    return p;
}

const OutcomeMix &FailureProfile::mixFor(const QString &type) const
{
    const auto it = m_types.constFind(type);
    return it == m_types.constEnd() ? m_default : *it;
}

SimResult FailureProfile::sample(const QString &type, RandomSource &rng) const
{
    const OutcomeMix &m = mixFor(type);
    SimResult r;
    r.latencyMs = static_cast<std::int64_t>(
        std::llround(rng.uniform(double(m.latencyMinMs), double(m.latencyMaxMs))));
    double u = rng.nextUnit();
    const auto pick = [&u](double p) {
        if (u < p)
            return true;
        u -= p;
        return false;
    };
    if (pick(m.unavailable))
        r.outcome = SimOutcome::Unavailable;
    else if (pick(m.rateLimited))
        r.outcome = SimOutcome::RateLimited;
    else if (pick(m.timeout))
        r.outcome = SimOutcome::Timeout;
    else if (pick(m.business))
        r.outcome = SimOutcome::Business;
    else if (pick(m.hang))
        r.outcome = SimOutcome::Hang;
    if ((r.outcome == SimOutcome::Unavailable || r.outcome == SimOutcome::RateLimited) &&
        rng.nextUnit() < m.retryAfterProbability) {
        // Whole seconds: that is what a delay-seconds header can say.
        r.retryAfterMs =
            1000 * static_cast<std::int64_t>(std::ceil(
                       rng.uniform(double(m.retryAfterMinMs), double(m.retryAfterMaxMs)) / 1000.0));
    }
    if (r.outcome == SimOutcome::Business) {
        const auto i =
            std::min<qsizetype>(m.businessProblems.size() - 1,
                                static_cast<qsizetype>(rng.nextUnit() * m.businessProblems.size()));
        r.problemType = m.businessProblems.value(i);
    }
    return r;
}

} // namespace rebound::taskd
