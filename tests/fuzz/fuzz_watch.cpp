// /v1/watch messages: whatever a service (or a client) sends is an error value or a message
// that keeps the protocol's promises, and a decoded change survives its own encoding.
#include "remote/TaskJson.h"
#include "remote/WatchProtocol.h"

#include <QJsonArray>

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    using rebound::WatchProtocol;
    const QByteArray message(reinterpret_cast<const char *>(data), static_cast<qsizetype>(size));
    if (auto sub = WatchProtocol::decodeSubscribe(message)) {
        if (message.size() > WatchProtocol::kMaxClientMessageBytes)
            std::abort();
        const auto again = WatchProtocol::decodeSubscribe(WatchProtocol::subscribe(sub->since));
        if (!again || again->since != sub->since)
            std::abort();
    }
    const auto e = WatchProtocol::decodeEvent(message);
    if (!e)
        return 0;
    using Kind = WatchProtocol::Event::Kind;
    if (e->kind != Kind::Resync && e->cursor.isEmpty())
        std::abort();
    if (e->kind == Kind::Bookmark && (e->intervalMs < 1 || e->intervalMs > 3'600'000))
        std::abort();
    if (e->kind == Kind::Changed) {
        QJsonArray tasks;
        for (const rebound::RemoteTask &t : e->tasks)
            tasks.append(rebound::TaskJson::toJson(t));
        const auto again = WatchProtocol::decodeEvent(WatchProtocol::changed(e->cursor, tasks));
        if (!again || again->tasks.size() != e->tasks.size() || again->cursor != e->cursor)
            std::abort();
        for (qsizetype i = 0; i < e->tasks.size(); ++i)
            if (again->tasks[i].id != e->tasks[i].id ||
                again->tasks[i].version != e->tasks[i].version)
                std::abort();
    }
    return 0;
}
