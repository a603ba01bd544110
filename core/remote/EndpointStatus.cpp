#include "remote/EndpointStatus.h"

namespace rebound {

QString toText(EndpointStatus::State s)
{
    switch (s) {
    case EndpointStatus::State::Connecting:
        return QStringLiteral("connecting");
    case EndpointStatus::State::Connected:
        return QStringLiteral("connected");
    case EndpointStatus::State::BackingOff:
        return QStringLiteral("backing off");
    case EndpointStatus::State::Misbehaving:
        return QStringLiteral("misbehaving");
    case EndpointStatus::State::BreakerOpen:
        return QStringLiteral("breaker open");
    }
    return {};
}

QString transportText(const EndpointStatus &s)
{
    if (s.push)
        return QStringLiteral("live (push)");
    const auto ms = s.pollInterval.count();
    return ms % 1000 == 0 ? QStringLiteral("polling %1 s").arg(ms / 1000)
                          : QStringLiteral("polling %1 s").arg(double(ms) / 1000.0, 0, 'f', 1);
}

} // namespace rebound
