#include "fleet/PolicyPublisher.h"

#include "fleet/CoordinationStore.h"
#include "policy/PolicyDocument.h"

namespace rebound {

void PolicyPublisher::publish(CoordinationStore &store, const FleetKeys &keys,
                              const QByteArray &document,
                              std::function<void(Result<std::int64_t>)> done)
{
    // Members refuse an invalid version anyway; the one publishing should hear it first, and
    // the fleet should not have to.
    const PolicyValidation v = PolicyDocument::parse(document);
    if (!v.ok()) {
        done(Error{QStringLiteral("invalid-policy"), v.errors.join(u'\n')});
        return;
    }
    // No lease: the policies outlive whoever published them. The answer is the put's revision,
    // the version members acknowledge.
    store.put(keys.policies(), document, 0, std::move(done));
}

} // namespace rebound
