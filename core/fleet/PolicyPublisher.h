#pragma once

#include "fleet/FleetKeys.h"
#include "support/Result.h"

#include <functional>

namespace rebound {

class CoordinationStore;

/// Puts a policy document at <prefix>/policies, validated first: the CLI and the console's
/// editor publish through here. The answer is the key's new mod_revision — the version every
/// member will number it by.
class PolicyPublisher final
{
public:
    static void publish(CoordinationStore &store, const FleetKeys &keys, const QByteArray &document,
                        std::function<void(Result<std::int64_t>)> done);
};

} // namespace rebound
