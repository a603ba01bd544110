#pragma once

#include "time/Time.h"

#include <QString>

#include <optional>

namespace rebound {

/// What the UI shows per endpoint: connected, backing off (next try at), breaker open (until).
struct EndpointStatus
{
    enum class State
    {
        Connecting,
        Connected,
        BackingOff,  ///< unreachable or refusing (transport error, 5xx, 429, 401/403)
        Misbehaving, ///< answering, but not as the Task API says (malformed, a cursor that repeats)
        BreakerOpen
    };
    State state = State::Connecting;
    std::optional<SteadyTime> nextTryAt;
    QString lastError;
    Duration pollInterval{500};
    std::int64_t lastSyncWallMs = 0;
    /// When the last complete answer arrived (steady clock). While tasksChanged runs it is
    /// still the previous one: whatever that batch shows as begun began after this moment.
    std::optional<SteadyTime> lastCompleteAt;
    /// Changes arrive over `/v1/watch` (a live push subscription); else by delta polling.
    bool push = false;
    /// Why push is not live (empty while it is, or before it was first tried).
    QString pushError;
    /// While push is down: when it is tried again.
    std::optional<SteadyTime> pushRetryAt;
};

/// "live (push)" or "polling 2 s": the transport that carries changes right now.
QString transportText(const EndpointStatus &s);

QString toText(EndpointStatus::State s);

} // namespace rebound
