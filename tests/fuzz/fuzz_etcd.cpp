// etcd JSON gateway answers: whatever comes back (a watch line, a range answer) is an error value
// or a message whose 64-bit fields were read exactly; a prefix's range end sorts after it.
#include "fleet/EtcdCodec.h"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    using rebound::CoordinationStore;
    using rebound::EtcdCodec;
    const QByteArray input(reinterpret_cast<const char *>(data), static_cast<qsizetype>(size));
    if (const auto m = EtcdCodec::watchLine(input)) {
        for (const auto &e : m->events)
            if (e.kv.key.size() > input.size()) // base64 only ever shrinks
                std::abort();
    }
    if (const auto r = EtcdCodec::range(input)) {
        for (const auto &kv : r->kvs)
            if (kv.value.size() > input.size())
                std::abort();
    }
    const QByteArray end = CoordinationStore::prefixEnd(input);
    if (!input.isEmpty() && input.count('\xff') != input.size() && !(input < end))
        std::abort();
    return 0;
}
