#include "ScheduleCommand.h"

#include "decision/BackoffSequence.h"
#include "policy/PolicyDocument.h"
#include "policy/PolicySchema.h"
#include "time/SeededRandom.h"

#include <QCommandLineParser>
#include <QFile>

#include <cmath>
#include <optional>

using namespace rebound;

namespace {

// "none: d; full: U[0, d]; ..." from the modes' own table.
QString jitterHelp()
{
    QStringList modes;
    for (const JitterStrategy &s : JitterStrategy::all())
        modes << QStringLiteral("%1: %2").arg(QLatin1String(s.name), QLatin1String(s.formula));
    return QStringLiteral("Jitter, d the nominal delay (") + modes.join(QStringLiteral("; ")) +
           QStringLiteral(").");
}

QString formatMs(double ms)
{
    QString s = QString::number(ms, 'f', 3);
    while (s.endsWith(u'0'))
        s.chop(1);
    if (s.endsWith(u'.'))
        s.chop(1);
    return s;
}

// Reads a numeric flag; on a bad value writes the message and returns nullopt.
std::optional<double> numberFlag(const QCommandLineParser &p, const QString &name, double min,
                                 bool integer, QTextStream &err, bool &bad)
{
    if (!p.isSet(name))
        return std::nullopt;
    bool ok = false;
    const QString text = p.value(name);
    const double v = text.toDouble(&ok);
    if (!ok || !std::isfinite(v)) {
        err << "reboundctl schedule: --" << name << ": '" << text << "' is not a number\n";
        bad = true;
        return std::nullopt;
    }
    if (integer && v != std::floor(v)) {
        err << "reboundctl schedule: --" << name << ": '" << text << "' must be a whole number\n";
        bad = true;
        return std::nullopt;
    }
    if (v < min) {
        err << "reboundctl schedule: --" << name << ": must be ≥ " << min << ", got " << text
            << "\n";
        bad = true;
        return std::nullopt;
    }
    return v;
}

} // namespace

int ScheduleCommand::run(const QStringList &args, cli::Streams io)
{
    QCommandLineParser p;
    p.setApplicationDescription(
        QStringLiteral("Print the retry delays of a backoff configuration as CSV."));
    p.addHelpOption();
    p.addOptions({
        {QStringLiteral("initial-ms"), QStringLiteral("Initial delay in ms."), QStringLiteral("I")},
        {QStringLiteral("multiplier"), QStringLiteral("Growth per retry (≥ 1)."),
         QStringLiteral("M")},
        {QStringLiteral("cap-ms"), QStringLiteral("Maximum backoff delay in ms."),
         QStringLiteral("C")},
        {QStringLiteral("jitter"), jitterHelp(), QStringLiteral("MODE")},
        {QStringLiteral("factor"),
         QStringLiteral("Randomization factor for proportional jitter, 0..1."),
         QStringLiteral("F")},
        {QStringLiteral("attempts"),
         QStringLiteral("Maximum attempts, counting the first (retries = N-1)."),
         QStringLiteral("N")},
        {QStringLiteral("samples"), QStringLiteral("Number of independent schedules (default 1)."),
         QStringLiteral("S")},
        {QStringLiteral("seed"), QStringLiteral("RNG seed (default 1)."), QStringLiteral("X")},
        {QStringLiteral("policy"), QStringLiteral("Take the backoff from this policy file."),
         QStringLiteral("FILE")},
        {QStringLiteral("name"), QStringLiteral("Policy name within --policy."),
         QStringLiteral("P")},
    });
    if (!p.parse(args)) {
        io.err << "reboundctl schedule: " << p.errorText() << "\n";
        return cli::Usage;
    }
    if (p.isSet(QStringLiteral("help"))) {
        io.out << cli::help(p.helpText(), QStringLiteral("reboundctl schedule"));
        return cli::Ok;
    }
    if (!p.positionalArguments().isEmpty()) {
        io.err << "reboundctl schedule: unexpected argument '" << p.positionalArguments().first()
               << "'\n";
        return cli::Usage;
    }

    BackoffConfig cfg;
    if (p.isSet(QStringLiteral("policy")) != p.isSet(QStringLiteral("name"))) {
        io.err << "reboundctl schedule: --policy and --name go together\n";
        return cli::Usage;
    }
    if (p.isSet(QStringLiteral("policy"))) {
        QFile f(p.value(QStringLiteral("policy")));
        if (!f.open(QIODevice::ReadOnly)) {
            io.err << "reboundctl schedule: --policy " << f.fileName() << ": " << f.errorString()
                   << "\n";
            return cli::Usage;
        }
        const PolicyValidation v = PolicyDocument::parse(f.read(PolicyDocument::kMaxBytes + 1));
        if (!v.ok()) {
            for (const QString &e : v.errors)
                io.err << f.fileName() << ": " << e << "\n";
            return cli::Invalid;
        }
        const RetryPolicy *policy = v.set->byName(p.value(QStringLiteral("name")));
        if (!policy) {
            QStringList names;
            for (const RetryPolicy &rp : v.set->policies)
                names << rp.name;
            io.err << f.fileName() << ": no policy named '" << p.value(QStringLiteral("name"))
                   << "' (policies: " << names.join(QStringLiteral(", ")) << ")\n";
            return cli::Invalid;
        }
        cfg = policy->backoff;
    }

    bool bad = false;
    // The backoff flags are the policy's own fields: their kinds and ranges are the schema's.
    static const std::pair<const char *, const char *> kBackoffFlags[] = {
        {"initial-ms", "initialDelayMs"},
        {"multiplier", "multiplier"},
        {"cap-ms", "maxDelayMs"},
        {"factor", "randomizationFactor"},
        {"attempts", "maxAttempts"}};
    RetryPolicy policy;
    policy.backoff = cfg;
    for (const auto &[flag, key] : kBackoffFlags) {
        const PolicyField *field =
            PolicySchema::find(QStringLiteral("backoff"), QLatin1String(key));
        const QString name = QLatin1String(flag);
        const auto v =
            numberFlag(p, name, field->min, field->kind == PolicyField::Kind::Integer, io.err, bad);
        if (!v)
            continue;
        if (*v > field->max || (field->minExclusive && *v <= field->min)) {
            io.err << "reboundctl schedule: --" << name << ": must be "
                   << (*v > field->max ? QStringLiteral("≤ %1") : QStringLiteral("> %1"))
                          .arg(QString::number(*v > field->max ? field->max : field->min, 'g', 15))
                   << ", got " << p.value(name) << "\n";
            bad = true;
            continue;
        }
        field->set(policy, field->kind == PolicyField::Kind::Integer ? QJsonValue(qint64(*v))
                                                                     : QJsonValue(*v));
    }
    cfg = policy.backoff;
    int samples = 1;
    if (auto v = numberFlag(p, QStringLiteral("samples"), 1, true, io.err, bad)) {
        if (*v > 10'000'000) {
            io.err << "reboundctl schedule: --samples: must be ≤ 10000000\n";
            bad = true;
        }
        samples = static_cast<int>(std::min(*v, 1e7));
    }
    std::uint64_t seed = 1;
    if (p.isSet(QStringLiteral("seed"))) {
        bool ok = false;
        seed = p.value(QStringLiteral("seed")).toULongLong(&ok);
        if (!ok) {
            io.err << "reboundctl schedule: --seed: '" << p.value(QStringLiteral("seed"))
                   << "' is not a whole number in 0..18446744073709551615\n";
            bad = true;
        }
    }
    if (p.isSet(QStringLiteral("jitter"))) {
        const auto mode = jitterModeFromString(p.value(QStringLiteral("jitter")));
        if (!mode) {
            io.err << "reboundctl schedule: --jitter: '" << p.value(QStringLiteral("jitter"))
                   << "' is not one of none, full, equal, decorrelated, proportional\n";
            bad = true;
        } else {
            cfg.jitter = *mode;
        }
    }
    if (!bad && cfg.maxDelayMs < cfg.initialDelayMs) {
        io.err << "reboundctl schedule: --cap-ms (" << cfg.maxDelayMs
               << ") must be ≥ --initial-ms (" << cfg.initialDelayMs << ")\n";
        bad = true;
    }
    if (bad)
        return cli::Usage;

    SeededRandom rng(seed);
    BackoffSequence seq(cfg);
    io.out << "sample,retry,delay_ms\n";
    for (int s = 1; s <= samples; ++s) {
        seq.reset(cfg);
        for (int r = 1; r < cfg.maxAttempts; ++r) {
            const BackoffDelay d = seq.next(rng);
            io.out << s << ',' << r << ',' << formatMs(d.delayMs) << '\n';
        }
    }
    io.out.flush();
    return cli::Ok;
}
