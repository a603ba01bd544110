#include "TasksCommand.h"

#include "CommandClient.h"
#include "RemoteCommandLine.h"
#include "remote/TaskApi.h"
#include "remote/TaskJson.h"

#include <QCommandLineParser>
#include <QJsonDocument>
#include <QSet>

using namespace rebound;

int TasksCommand::run(const QStringList &args, cli::Streams io)
{
    RemoteCommandLine c;
    c.name = QStringLiteral("reboundctl tasks");
    if (!c.parse(args, io, {{QStringLiteral("json"), QStringLiteral("One JSON object per line.")}}))
        return c.usageOrHelp();
    const auto endpoint = c.endpoint(io);
    if (!endpoint)
        return cli::Usage;
    CommandClient client(*endpoint);
    QString cursor;
    bool first = true;
    int count = 0;
    QSet<QString> cursorsSeen; // a cursor that comes back while `more` is true would loop
    if (!c.parser.isSet(QStringLiteral("json")))
        io.out << QStringLiteral("%1  %2  %3  %4  %5\n")
                      .arg(QStringLiteral("ID"), -28)
                      .arg(QStringLiteral("TYPE"), -16)
                      .arg(QStringLiteral("STATE"), -10)
                      .arg(QStringLiteral("ATTEMPT"), 7)
                      .arg(QStringLiteral("VERSION"));
    for (;;) {
        const ApiResponse r = client.call(TaskApi::listTasks(first ? QString() : cursor, 500, {}));
        first = false;
        if (!r.isSuccess()) {
            io.err << c.name << ": " << endpoint->key() << ": " << r.describe() << "\n";
            return cli::Invalid;
        }
        auto page = TaskJson::decodePage(r.body);
        if (!page) {
            io.err << c.name << ": " << endpoint->key()
                   << ": malformed answer: " << page.error().message << "\n";
            return cli::Invalid;
        }
        if (page->more && (page->cursor == cursor || cursorsSeen.contains(page->cursor))) {
            io.err << c.name << ": " << endpoint->key() << ": the endpoint misbehaves: cursor "
                   << page->cursor << " did not advance while more is true (after " << count
                   << " tasks)\n";
            return cli::Invalid;
        }
        cursorsSeen.insert(page->cursor);
        for (const RemoteTask &t : page->tasks) {
            ++count;
            if (c.parser.isSet(QStringLiteral("json")))
                io.out << QJsonDocument(TaskJson::toJson(t)).toJson(QJsonDocument::Compact) << "\n";
            else
                io.out << QStringLiteral("%1  %2  %3  %4  %5\n")
                              .arg(t.id, -28)
                              .arg(t.type.left(16), -16)
                              .arg(toText(t.state), -10)
                              .arg(t.attempt, 7)
                              .arg(t.version);
        }
        cursor = page->cursor;
        if (!page->more)
            break;
    }
    io.err << count << " tasks\n";
    return cli::Ok;
}
