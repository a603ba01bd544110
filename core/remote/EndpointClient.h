#pragma once

#include "remote/ApiResponse.h"
#include "remote/EndpointConfig.h"
#include "remote/TaskTransport.h"
#include "support/TokenBucket.h"
#include "time/Clock.h"
#include "time/RandomSource.h"

#include <QObject>

#include <deque>
#include <functional>
#include <optional>

class QNetworkAccessManager;
class QNetworkReply;
class QTimer;

namespace rebound {

/// HTTP to one Task API endpoint, with the protections a misbehaving server calls for:
/// an overall deadline per exchange (a server dripping one byte at a time still times out),
/// a cap on body size, a bulkhead (max in flight), a token bucket, a pause of every request
/// while a Retry-After is in force, verified TLS (custom CA allowed, errors never ignored),
/// a bearer token and a fresh W3C traceparent on every request.
class EndpointClient final : public QObject, public TaskTransport
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EndpointClient)

public:
    EndpointClient(EndpointConfig config, const Clock &clock, RandomSource &rng,
                   QObject *parent = nullptr);
    ~EndpointClient() override;

    /// Queues a request; `done` runs on this object's thread exactly once (also on abort()).
    void send(ApiRequest request, Callback done) override;
    /// Fails every queued and running request with an "aborted" transport error.
    void abortAll() override;
    QString endpointKey() const override { return m_config.key(); }

    const EndpointConfig &config() const { return m_config; }
    /// New token and trust anchors for the same endpoint (the URL is its identity and stays).
    void setCredentials(const QByteArray &token,
                        const QList<QSslCertificate> &caCertificates) override;
    /// While a Retry-After is in force: when requests may flow again.
    std::optional<SteadyTime> pausedUntil() const override;
    std::unique_ptr<WatchChannel> openWatch() override;
    int inFlight() const { return m_inFlight; }
    int queued() const { return static_cast<int>(m_queue.size()); }

Q_SIGNALS:
    /// A server asked everyone to wait (Retry-After on any answer).
    void paused(rebound::SteadyTime until);

private:
    struct Pending
    {
        ApiRequest request;
        Callback done;
    };
    void pump();
    void dispatch(Pending p);
    void armPumpTimer(SteadyTime at);

    EndpointConfig m_config;
    const Clock &m_clock;
    RandomSource &m_rng;
    QNetworkAccessManager *m_nam;
    TokenBucket m_bucket;
    std::deque<Pending> m_queue;
    int m_inFlight = 0;
    SteadyTime m_pausedUntil{};
    QTimer *m_pumpTimer;
    QList<QNetworkReply *> m_replies;
};

} // namespace rebound
