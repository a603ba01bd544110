// reboundctl: the command-line face of Rebound's core (and, later, its headless orchestrator).
#include "ActionCommand.h"
#include "CliError.h"
#include "ExportCommand.h"
#include "FleetCommand.h"
#include "PolicyCommand.h"
#include "ScheduleCommand.h"
#include "SecretCommand.h"
#include "TasksCommand.h"
#include "WatchCommand.h"

#include <QCoreApplication>
#include <QTextStream>

#include <cstdio>

namespace {
const char *kHelp =
    "Usage: reboundctl <command> [options]\n"
    "\n"
    "Commands:\n"
    "  schedule        Print the retry delays of a backoff configuration as CSV\n"
    "  policy          validate | import-grpc | export-grpc | publish a policy file\n"
    "  watch           Run the orchestrator headless against an endpoint (JSON-line log)\n"
    "  tasks           List an endpoint's tasks\n"
    "  retry ID        Start the next attempt of a failed, exhausted or cancelled task now\n"
    "  cancel ID       Cancel a task (operator)\n"
    "  abort ID        End the task's running attempt as a timeout (operator)\n"
    "  export          Write the retry history as CSV\n"
    "  fleet status    Members of a fleet on etcd and the policy version each runs\n"
    "  secret          store | forget a token or password in the OS keychain\n"
    "\n"
    "Options:\n"
    "  -h, --help      Show this help (also: reboundctl <command> --help)\n"
    "  -v, --version   Show the version\n"
    "\n"
    "Exit status: 0 success, 1 invalid content, 2 usage error.\n";
}

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("reboundctl"));
    QCoreApplication::setApplicationVersion(QStringLiteral(REBOUND_VERSION));

    QTextStream out(stdout);
    QTextStream err(stderr);
    const cli::Streams io{out, err};
    const QStringList args = QCoreApplication::arguments();
    const QString command = args.value(1);

    int rc = cli::Usage;
    if (command.isEmpty()) {
        err << kHelp;
    } else if (command == QLatin1String("-h") || command == QLatin1String("--help") ||
               command == QLatin1String("help")) {
        out << kHelp;
        rc = cli::Ok;
    } else if (command == QLatin1String("-v") || command == QLatin1String("--version")) {
        out << "reboundctl " << REBOUND_VERSION << "\n";
        rc = cli::Ok;
    } else if (command == QLatin1String("schedule")) {
        QStringList rest = args.mid(1);
        rest[0] = QStringLiteral("reboundctl schedule");
        rc = ScheduleCommand::run(rest, io);
    } else if (command == QLatin1String("watch") || command == QLatin1String("tasks") ||
               command == QLatin1String("retry") || command == QLatin1String("cancel") ||
               command == QLatin1String("abort") || command == QLatin1String("export")) {
        QStringList rest = args.mid(1);
        rest[0] = QStringLiteral("reboundctl ") + command;
        if (command == QLatin1String("watch"))
            rc = WatchCommand::run(rest, io);
        else if (command == QLatin1String("tasks"))
            rc = TasksCommand::run(rest, io);
        else if (command == QLatin1String("export"))
            rc = ExportCommand::run(rest, io);
        else
            rc = ActionCommand::run(rest, io,
                                     command == QLatin1String("cancel")  ? rebound::ActionKind::OperatorCancel
                                     : command == QLatin1String("abort") ? rebound::ActionKind::AbortOperator
                                                                         : rebound::ActionKind::OperatorAttempt);
    } else if (command == QLatin1String("fleet")) {
        rc = FleetCommand::run(args.mid(1), io);
    } else if (command == QLatin1String("secret")) {
        rc = SecretCommand::run(args.mid(1), io);
    } else if (command == QLatin1String("policy")) {
        rc = PolicyCommand::run(args.mid(1), io);
    } else {
        err << "reboundctl: unknown command '" << command << "'\n\n" << kHelp;
    }
    out.flush();
    err.flush();
    return rc;
}
