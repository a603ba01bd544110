#include "remote/EndpointClient.h"
#include "remote/TaskApi.h"

#include "decision/RetryAfter.h"
#include "remote/ThrottledUpload.h"
#include "remote/TraceContext.h"
#include "remote/WebSocketWatch.h"

#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QPointer>
#include <QSslConfiguration>
#include <QTimer>

#include <memory>

namespace rebound {

namespace {

constexpr qint64 kReadBufferBytes = 256 * 1024;

TransportError transportFor(QNetworkReply::NetworkError e)
{
    switch (e) {
    case QNetworkReply::ConnectionRefusedError:
        return TransportError::ConnectionRefused;
    case QNetworkReply::RemoteHostClosedError:
        return TransportError::ConnectionReset;
    case QNetworkReply::HostNotFoundError:
        return TransportError::HostNotFound;
    case QNetworkReply::TimeoutError:
        return TransportError::Timeout;
    case QNetworkReply::SslHandshakeFailedError:
        return TransportError::Tls;
    default:
        return TransportError::Other;
    }
}

// Per-exchange bookkeeping shared by the reply's signal handlers.
struct Exchange
{
    QByteArray body;
    bool timedOut = false;
    bool tooLarge = false;
    bool aborted = false;
    QStringList sslErrors;
    SteadyTime started;
    QByteArray traceId;
};

} // namespace

EndpointClient::EndpointClient(EndpointConfig config, const Clock &clock, RandomSource &rng,
                               QObject *parent)
    : QObject(parent), m_config(std::move(config)), m_clock(clock), m_rng(rng),
      m_nam(new QNetworkAccessManager(this)),
      m_bucket(m_config.ratePerSecond, m_config.burst, clock), m_pumpTimer(new QTimer(this))
{
    m_nam->setRedirectPolicy(QNetworkRequest::ManualRedirectPolicy);
    m_pumpTimer->setSingleShot(true);
    connect(m_pumpTimer, &QTimer::timeout, this, &EndpointClient::pump);
}

EndpointClient::~EndpointClient()
{
    abortAll();
}

std::optional<SteadyTime> EndpointClient::pausedUntil() const
{
    if (m_clock.steadyNow() < m_pausedUntil)
        return m_pausedUntil;
    return std::nullopt;
}

void EndpointClient::setCredentials(const QByteArray &token,
                                    const QList<QSslCertificate> &caCertificates)
{
    m_config.token = token;
    m_config.caCertificates = caCertificates;
    // QNetworkAccessManager keeps a connection per host with the TLS settings it was opened
    // with; without this the new trust anchors would not be used until it expired.
    m_nam->clearConnectionCache();
}

void EndpointClient::send(ApiRequest request, Callback done)
{
    m_queue.push_back(Pending{std::move(request), std::move(done)});
    pump();
}

void EndpointClient::abortAll()
{
    std::deque<Pending> queue;
    queue.swap(m_queue);
    for (Pending &p : queue) {
        ApiResponse r;
        r.transport = TransportError::Other;
        r.error = QStringLiteral("aborted");
        p.done(r);
    }
    const QList<QNetworkReply *> replies = m_replies;
    for (QNetworkReply *reply : replies)
        reply->abort(); // finished() runs the callback
}

void EndpointClient::armPumpTimer(SteadyTime at)
{
    const auto wait = std::max<std::int64_t>(1, toMs(at - m_clock.steadyNow()));
    if (!m_pumpTimer->isActive() || m_pumpTimer->remainingTime() > wait)
        m_pumpTimer->start(static_cast<int>(std::min<std::int64_t>(wait, 24LL * 3600 * 1000)));
}

void EndpointClient::pump()
{
    while (!m_queue.empty() && m_inFlight < m_config.maxInFlight) {
        if (const auto until = pausedUntil()) {
            armPumpTimer(*until);
            return;
        }
        if (m_config.ratePerSecond > 0 && !m_bucket.tryAcquire()) {
            const Duration wait = m_bucket.timeUntilAvailable();
            armPumpTimer(m_clock.steadyNow() + (wait == Duration::max() ? Duration(1000) : wait));
            return;
        }
        Pending p = std::move(m_queue.front());
        m_queue.pop_front();
        dispatch(std::move(p));
    }
}

void EndpointClient::dispatch(Pending p)
{
    QUrl url = TaskApi::resolve(m_config.baseUrl, p.request.path);
    if (!p.request.query.isEmpty())
        url.setQuery(p.request.query);
    QNetworkRequest req(url);
    const TraceContext trace = TraceContext::generate(m_rng);
    req.setRawHeader("traceparent", trace.header());
    req.setRawHeader("Accept", "application/json, application/problem+json");
    req.setRawHeader("User-Agent", "Rebound/" REBOUND_VERSION);
    if (!m_config.token.isEmpty())
        req.setRawHeader("Authorization", "Bearer " + m_config.token);
    if (!p.request.body.isEmpty())
        req.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    for (const auto &[k, v] : p.request.headers)
        req.setRawHeader(k, v);
    if (url.scheme() == QLatin1String("https")) {
        QSslConfiguration ssl = QSslConfiguration::defaultConfiguration();
        if (!m_config.caCertificates.isEmpty())
            ssl.addCaCertificates(m_config.caCertificates);
        req.setSslConfiguration(ssl);
    }

    auto ex = std::make_shared<Exchange>();
    ex->started = m_clock.steadyNow();
    ex->traceId = trace.traceId;
    // Qt's HTTP thread reads the socket on its own; without a limit it buffers whatever the
    // server sends, however fast, until this thread gets round to reading it — on a busy machine
    // that was gigabytes before the cap below was ever checked. With a limit the HTTP thread
    // stops reading while that much is unread, and TCP throttles the server. A request without
    // a body starts at once and takes the limit now; one with a body takes it from its body
    // (see ThrottledUpload).
    QNetworkReply *reply = nullptr;
    if (p.request.body.isEmpty()) {
        reply = m_nam->sendCustomRequest(req, p.request.method);
        reply->setReadBufferSize(kReadBufferBytes);
    } else {
        auto *upload = new ThrottledUpload(p.request.body, kReadBufferBytes);
        reply = m_nam->sendCustomRequest(req, p.request.method, upload);
        upload->setParent(reply);
        upload->setReply(reply);
    }
    ++m_inFlight;
    m_replies.append(reply);

    auto *deadline = new QTimer(reply);
    deadline->setSingleShot(true);
    connect(deadline, &QTimer::timeout, reply, [reply, ex] {
        ex->timedOut = true;
        reply->abort();
    });
    deadline->start(static_cast<int>(
        std::clamp<std::int64_t>(p.request.timeout.count(), 1, 24LL * 3600 * 1000)));

    const qsizetype cap = m_config.maxBodyBytes;
    connect(reply, &QNetworkReply::metaDataChanged, reply, [reply, ex, cap] {
        const QVariant len = reply->header(QNetworkRequest::ContentLengthHeader);
        if (len.isValid() && len.toLongLong() > cap) {
            ex->tooLarge = true;
            reply->abort();
        }
    });
    connect(reply, &QNetworkReply::readyRead, reply, [reply, ex, cap] {
        if (!reply->isOpen() || ex->tooLarge || ex->timedOut)
            return;
        // Past the first megabyte, make room for the whole cap at once: doubling a large buffer
        // would hold the old and the new copy (up to 1.5x the cap) for a moment.
        if (ex->body.size() + reply->bytesAvailable() > kReadBufferBytes * 4 &&
            ex->body.capacity() <= cap)
            ex->body.reserve(cap + 1);
        ex->body += reply->read(cap + 1 - ex->body.size());
        if (ex->body.size() > cap) {
            ex->tooLarge = true;
            reply->abort();
        }
    });
    connect(reply, &QNetworkReply::sslErrors, reply, [ex](const QList<QSslError> &errors) {
        // Never ignored: each is reported with the certificate it is about.
        for (const QSslError &e : errors) {
            QString s = e.errorString();
            if (!e.certificate().isNull())
                s += QStringLiteral(" (subject %1, issuer %2, expires %3)")
                         .arg(e.certificate().subjectDisplayName(),
                              e.certificate().issuerDisplayName(),
                              e.certificate().expiryDate().toString(Qt::ISODate));
            ex->sslErrors << s;
        }
    });
    connect(reply, &QNetworkReply::finished, this, [this, reply, ex, done = std::move(p.done)] {
        m_replies.removeOne(reply);
        --m_inFlight;
        if (!ex->tooLarge && !ex->timedOut && reply->isOpen())
            ex->body += reply->readAll();
        ApiResponse r;
        r.elapsed = m_clock.steadyNow() - ex->started;
        r.traceId = ex->traceId;
        const QVariant status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute);
        if (ex->timedOut) {
            r.transport = TransportError::Timeout;
            r.error = QStringLiteral("no complete answer within the deadline (%1 ms)")
                          .arg(r.elapsed.count());
        } else if (ex->tooLarge) {
            r.transport = TransportError::Other;
            r.bodyTooLarge = true;
            r.error =
                QStringLiteral("response body larger than %1 bytes").arg(m_config.maxBodyBytes);
        } else if (!status.isValid() || reply->error() == QNetworkReply::OperationCanceledError) {
            r.transport = reply->error() == QNetworkReply::OperationCanceledError
                              ? TransportError::Other
                              : transportFor(reply->error());
            r.error = ex->sslErrors.isEmpty() ? reply->errorString()
                                              : ex->sslErrors.join(QStringLiteral("; "));
            if (!ex->sslErrors.isEmpty())
                r.transport = TransportError::Tls;
        } else {
            r.status = status.toInt();
            r.body = std::move(ex->body);
            for (const auto &[k, v] : reply->rawHeaderPairs())
                r.headers.insert(k.toLower(), v);
            const QByteArray ra = r.header("retry-after");
            if (!ra.isEmpty()) {
                r.retryAfter = RetryAfter::parse(ra, m_clock.wallNowMs());
                if (r.retryAfter && r.retryAfter->count() > 0) {
                    // Retry-After on any answer pauses every request to this endpoint.
                    const SteadyTime until =
                        m_clock.steadyNow() + std::min(*r.retryAfter, Duration(3'600'000));
                    if (until > m_pausedUntil) {
                        m_pausedUntil = until;
                        Q_EMIT paused(until);
                    }
                }
            }
        }
        reply->deleteLater();
        done(r);
        pump();
    });
}

std::unique_ptr<WatchChannel> EndpointClient::openWatch()
{
    if (!m_config.push)
        return nullptr;
    return std::make_unique<WebSocketWatch>(m_config, TraceContext::generate(m_rng).header());
}

} // namespace rebound
