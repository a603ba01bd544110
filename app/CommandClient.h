#pragma once

#include "remote/ApiResponse.h"
#include "remote/EndpointClient.h"
#include "time/SeededRandom.h"
#include "time/SystemClock.h"

/// One endpoint's client for a command line: on the system clock, sending a request and
/// waiting for its answer (a command has nothing else to do meanwhile).
class CommandClient final
{
    Q_DISABLE_COPY_MOVE(CommandClient)

public:
    explicit CommandClient(const rebound::EndpointConfig &endpoint);
    rebound::ApiResponse call(rebound::ApiRequest request);

private:
    rebound::SystemClock m_clock;
    rebound::SeededRandom m_rng;
    rebound::EndpointClient m_client;
};
