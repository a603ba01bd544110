// Task API decoding: any bytes must give a value or an error naming a path, never a crash, and
// anything decoded must survive an encode/decode round trip unchanged.
#include "remote/TaskJson.h"

#include <QJsonDocument>

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray body(reinterpret_cast<const char *>(data), static_cast<qsizetype>(size));
    if (auto page = rebound::TaskJson::decodePage(body)) {
        for (const rebound::RemoteTask &t : page->tasks) {
            const auto again =
                rebound::TaskJson::decodeTask(QJsonDocument(rebound::TaskJson::toJson(t)).toJson());
            if (!again || !(*again == t))
                std::abort();
        }
    } else if (page.error().message.isEmpty()) {
        std::abort();
    }
    (void)rebound::TaskJson::decodeTask(body);
    (void)rebound::TaskJson::decodeAttempts(body);
    return 0;
}
