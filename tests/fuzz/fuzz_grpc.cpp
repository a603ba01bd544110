// gRPC service-config import, and export of whatever was imported.
#include "policy/GrpcServiceConfig.h"
#include "policy/PolicyDocument.h"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray json(reinterpret_cast<const char *>(data), static_cast<qsizetype>(size));
    const rebound::GrpcImport imp = rebound::GrpcServiceConfig::importJson(json);
    if (imp.set) {
        if (!rebound::PolicyDocument::parse(rebound::PolicyDocument::serialize(*imp.set)).ok())
            std::abort(); // an import must always be a valid Rebound document
        for (const rebound::RetryPolicy &p : imp.set->policies)
            (void)rebound::GrpcServiceConfig::exportPolicy(p);
    } else if (imp.errors.isEmpty()) {
        std::abort();
    }
    return 0;
}
