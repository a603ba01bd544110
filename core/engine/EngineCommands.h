#pragma once

#include "guards/GuardRegistry.h"
#include "remote/EndpointConfig.h"
#include "support/Result.h"

#include <QString>

#include <functional>

namespace rebound {

/// What a view may ask the engine to do: the operator's commands. Each answers through `done`
/// (an error value in plain words when refused); EngineView's events show the effect.
class EngineCommands
{
public:
    using Done = std::function<void(Result<void>)>;

    virtual ~EngineCommands() = default;

    virtual void retryNow(const QString &endpoint, const QString &taskId, Done done = {}) = 0;
    virtual void cancelRetries(const QString &endpoint, const QString &taskId, Done done = {}) = 0;
    /// Ends the task's running attempt (as a timeout); the policy then decides what follows.
    virtual void abortAttempt(const QString &endpoint, const QString &taskId, Done done = {}) = 0;
    virtual void setPaused(const QString &taskType, bool paused) = 0;
    virtual void commandBreaker(const QString &endpoint, const QString &taskType,
                                BreakerCommand command) = 0;
    /// Starts watching an endpoint (or takes a watched one's new token and trust anchors).
    virtual void addEndpoint(const EndpointConfig &config) = 0;
    /// Stops watching an endpoint; its history stays.
    virtual void removeEndpoint(const QString &endpoint) = 0;
    /// Refuses every operator action while on.
    virtual void setReadOnly(bool readOnly) = 0;

protected:
    EngineCommands() = default;
    EngineCommands(const EngineCommands &) = default;
    EngineCommands &operator=(const EngineCommands &) = default;
};

} // namespace rebound
