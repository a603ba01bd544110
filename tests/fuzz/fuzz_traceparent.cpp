// traceparent: accepted headers re-serialise to a valid version-00 header.
#include "remote/TraceContext.h"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray header(reinterpret_cast<const char *>(data), static_cast<qsizetype>(size));
    if (const auto t = rebound::TraceContext::parse(header)) {
        if (t->traceId.size() != 32 || t->parentId.size() != 16 ||
            !rebound::TraceContext::parse(t->header()))
            std::abort();
    }
    return 0;
}
