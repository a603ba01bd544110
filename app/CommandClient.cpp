#include "CommandClient.h"

#include <QEventLoop>
#include <QRandomGenerator>

using namespace rebound;

CommandClient::CommandClient(const EndpointConfig &endpoint)
    : m_rng(QRandomGenerator::system()->generate64()), m_client(endpoint, m_clock, m_rng)
{}

ApiResponse CommandClient::call(ApiRequest request)
{
    ApiResponse out;
    QEventLoop loop;
    m_client.send(std::move(request), [&](const ApiResponse &r) {
        out = r;
        loop.quit();
    });
    loop.exec();
    return out;
}
