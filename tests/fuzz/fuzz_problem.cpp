// RFC 9457 problem details: wrong-typed members are ignored, never trusted.
#include "decision/ProblemDetails.h"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray body(reinterpret_cast<const char *>(data), static_cast<qsizetype>(size));
    if (auto p = rebound::ProblemDetails::parse(body)) {
        if (p->type.isEmpty() || (p->status && (*p->status < 100 || *p->status > 599)))
            std::abort();
        if (!(rebound::ProblemDetails::fromJson(p->toJson()) == *p))
            std::abort();
    }
    return 0;
}
