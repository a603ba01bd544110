#include "ExportCommand.h"

#include "RemoteCommandLine.h"
#include "history/HistoryStore.h"
#include "support/Rfc3339.h"

#include <QCommandLineParser>
#include <QFile>
#include <QSaveFile>

#include <cstdio>

using namespace rebound;

int ExportCommand::run(const QStringList &args, cli::Streams io)
{
    RemoteCommandLine c;
    c.name = QStringLiteral("reboundctl export");
    if (!c.parse(
            args, io,
            {{QStringLiteral("db"), QStringLiteral("History database."), QStringLiteral("FILE")},
             {QStringLiteral("out"), QStringLiteral("CSV file to write (- for stdout)."),
              QStringLiteral("FILE")},
             {QStringLiteral("since"), QStringLiteral("Attempts started at or after (RFC 3339)."),
              QStringLiteral("T")},
             {QStringLiteral("until"), QStringLiteral("Attempts started before (RFC 3339)."),
              QStringLiteral("T")},
             {QStringLiteral("type"), QStringLiteral("Only this task type."), QStringLiteral("T")},
             {QStringLiteral("outcome"), QStringLiteral("running|succeeded|failed|timeout."),
              QStringLiteral("O")}},
            false))
        return c.usageOrHelp();
    if (!c.parser.isSet(QStringLiteral("db")) || !c.parser.isSet(QStringLiteral("out"))) {
        io.err << c.name << ": --db FILE and --out FILE are required\n";
        return cli::Usage;
    }
    ExportFilter f;
    for (const char *opt : {"since", "until"}) {
        const QString name = QString::fromLatin1(opt);
        if (!c.parser.isSet(name))
            continue;
        const auto ms = Rfc3339::parse(c.parser.value(name));
        if (!ms) {
            io.err << c.name << ": --" << name << ": '" << c.parser.value(name)
                   << "' is not an RFC 3339 time (e.g. 2026-11-26T08:00:00Z)\n";
            return cli::Usage;
        }
        (name == QLatin1String("since") ? f.sinceWallMs : f.untilWallMs) = *ms;
    }
    f.taskType = c.parser.value(QStringLiteral("type"));
    if (c.parser.isSet(QStringLiteral("outcome"))) {
        f.outcome = attemptOutcomeFromText(c.parser.value(QStringLiteral("outcome")));
        if (!f.outcome) {
            io.err << c.name << ": --outcome: expected running, succeeded, failed or timeout\n";
            return cli::Usage;
        }
    }
    const QString dbPath = c.parser.value(QStringLiteral("db"));
    if (!QFile::exists(dbPath)) {
        io.err << c.name << ": --db " << dbPath << ": no such file\n";
        return cli::Usage;
    }
    auto history = HistoryStore::open(dbPath);
    if (!history) {
        io.err << c.name << ": " << history.error().message << "\n";
        return cli::Invalid;
    }
    const QString outPath = c.parser.value(QStringLiteral("out"));
    Result<std::int64_t> rows = std::int64_t(0);
    if (outPath == QLatin1String("-")) {
        QFile out;
        (void)out.open(stdout, QIODevice::WriteOnly);
        rows = (*history)->exportCsv(out, f);
    } else {
        QSaveFile out(outPath); // all or nothing: no half-written CSV on failure
        if (!out.open(QIODevice::WriteOnly)) {
            io.err << c.name << ": --out " << outPath << ": " << out.errorString() << "\n";
            return cli::Usage;
        }
        rows = (*history)->exportCsv(out, f);
        if (rows && !out.commit()) {
            io.err << c.name << ": --out " << outPath << ": " << out.errorString() << "\n";
            return cli::Invalid;
        }
    }
    if (!rows) {
        io.err << c.name << ": " << rows.error().message << "\n";
        return cli::Invalid;
    }
    io.err << *rows << " rows\n";
    return cli::Ok;
}
