#include "policy/ClassificationConfig.h"

namespace rebound {

bool ClassificationConfig::retryableByDefault(int status)
{
    switch (status) {
    case 408:
    case 425:
    case 429:
        return true;
    case 501:
    case 505:
        return false;
    default:
        return status >= 500;
    }
}

bool ClassificationConfig::retriesStatus(int status) const
{
    if (nonRetryableStatusCodes.contains(status))
        return false;
    if (retryableStatusCodes.contains(status))
        return true;
    return retryableByDefault(status);
}

} // namespace rebound
