#include "Console.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRandomGenerator>
#include <QSaveFile>

namespace rebound {

Console::Console() : rng(QRandomGenerator::system()->generate64()) {}

Console::~Console()
{
    orchestrator.reset(); // before the history it writes to
}

Result<std::unique_ptr<Console>> Console::open(const QString &policyPath,
                                               const QString &databasePath,
                                               const QByteArray &defaultPolicy)
{
    std::unique_ptr<Console> c(new Console);
    if (!QFileInfo::exists(policyPath)) {
        QDir().mkpath(QFileInfo(policyPath).absolutePath());
        QSaveFile f(policyPath);
        if (!f.open(QIODevice::WriteOnly) || f.write(defaultPolicy) != defaultPolicy.size() ||
            !f.commit())
            return Error{QStringLiteral("policy-file"),
                         QStringLiteral("%1: cannot create: %2").arg(policyPath, f.errorString())};
    }
    if (auto r = c->policies.open(policyPath); !r)
        return r.error();
    auto h = HistoryStore::open(databasePath);
    if (!h)
        return h.error();
    c->history = std::move(h).value();
    c->orchestrator =
        std::make_unique<Orchestrator>(c->policies, *c->history, c->clock, c->timers, c->rng);
    return c;
}

} // namespace rebound
