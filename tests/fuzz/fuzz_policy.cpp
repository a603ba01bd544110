// Policy documents: every input is accepted or rejected with path-named errors; an accepted set
// serialises to a document that parses back to the same set.
#include "policy/PolicyDocument.h"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray json(reinterpret_cast<const char *>(data), static_cast<qsizetype>(size));
    const rebound::PolicyValidation v = rebound::PolicyDocument::parse(json);
    if (v.ok()) {
        const rebound::PolicyValidation again =
            rebound::PolicyDocument::parse(rebound::PolicyDocument::serialize(*v.set));
        if (!again.ok() || !(*again.set == *v.set))
            std::abort();
    } else {
        for (const QString &e : v.errors)
            if (!e.contains(QStringLiteral(": ")))
                std::abort();
    }
    return 0;
}
