#include "ActionCommand.h"

#include "CommandClient.h"
#include "RemoteCommandLine.h"
#include "remote/TaskApi.h"
#include "remote/TaskJson.h"

#include <QCommandLineParser>

using namespace rebound;

int ActionCommand::run(const QStringList &args, cli::Streams io, ActionKind kind)
{
    RemoteCommandLine c;
    c.name = kind == ActionKind::OperatorCancel  ? QStringLiteral("reboundctl cancel")
             : kind == ActionKind::AbortOperator ? QStringLiteral("reboundctl abort")
                                                 : QStringLiteral("reboundctl retry");
    if (!c.parse(args, io, {}))
        return c.usageOrHelp();
    if (c.parser.positionalArguments().size() != 1) {
        io.err << c.name << ": expected exactly one task ID\n";
        return cli::Usage;
    }
    const QString id = c.parser.positionalArguments().first();
    const auto endpoint = c.endpoint(io);
    if (!endpoint)
        return cli::Usage;
    CommandClient client(*endpoint);
    const ApiResponse got = client.call(TaskApi::getTask(id));
    if (!got.isSuccess()) {
        io.err << c.name << ": " << id << ": " << got.describe() << "\n";
        return cli::Invalid;
    }
    const auto task = TaskJson::decodeTask(got.body);
    if (!task) {
        io.err << c.name << ": " << id << ": malformed answer: " << task.error().message << "\n";
        return cli::Invalid;
    }
    int attempt = task->attempt;
    if (kind == ActionKind::AbortOperator) {
        if (!task->lastAttempt || task->lastAttempt->outcome != AttemptOutcome::Running) {
            io.err << c.name << ": " << id << ": no attempt of this task is running\n";
            return cli::Invalid;
        }
        attempt = task->lastAttempt->number;
    }
    // The same entry (key, body, If-Match) a console would build: a console and this command
    // acting on the same attempt are one action to the service.
    const OutboxEntry e = ActionOutbox::make(endpoint->key(), *task, kind, attempt);
    const ApiResponse r = client.call(ActionOutbox::request(e));
    if (!r.isSuccess()) {
        QString why = r.describe();
        if (r.status == 412)
            why = QStringLiteral(
                "someone else changed the task first; look at it again (reboundctl tasks)");
        else if (r.status == 409)
            why = QStringLiteral("the task's state does not allow this (%1)")
                      .arg(r.problem() ? r.problem()->detail : r.describe());
        io.err << c.name << ": " << id << ": " << why << "\n";
        return cli::Invalid;
    }
    const auto after = TaskJson::decodeTask(r.body);
    io.out << id << ": " << (after ? toText(after->state) : QStringLiteral("ok")) << ", attempt "
           << (after ? after->attempt : 0) << "\n";
    return cli::Ok;
}
