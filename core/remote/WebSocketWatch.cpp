#include "remote/WebSocketWatch.h"
#include "remote/TaskApi.h"

#include <QNetworkRequest>
#include <QSslConfiguration>
#include <QWebSocket>

namespace rebound {

WebSocketWatch::WebSocketWatch(const EndpointConfig &config, QByteArray traceparent,
                               QObject *parent)
    : QObject(parent), m_config(config), m_traceparent(std::move(traceparent))
{}

WebSocketWatch::~WebSocketWatch()
{
    m_done = true;
    if (m_socket) {
        m_socket->disconnect(this);
        m_socket->abort();
    }
}

QUrl WebSocketWatch::watchUrl(const QUrl &baseUrl)
{
    QUrl url = TaskApi::resolve(baseUrl, QStringLiteral("/v1/watch"));
    url.setScheme(baseUrl.scheme() == QLatin1String("https") ? QStringLiteral("wss")
                                                             : QStringLiteral("ws"));
    url.setQuery(QString());
    return url;
}

void WebSocketWatch::open(Handlers handlers)
{
    m_handlers = std::move(handlers);
    m_socket = new QWebSocket(QString(), QWebSocketProtocol::VersionLatest, this);
    m_socket->setMaxAllowedIncomingMessageSize(quint64(m_config.maxBodyBytes));
    m_socket->setMaxAllowedIncomingFrameSize(quint64(m_config.maxBodyBytes));
    connect(m_socket, &QWebSocket::connected, this, [this] {
        if (!m_done && m_handlers.opened)
            m_handlers.opened();
    });
    connect(m_socket, &QWebSocket::textMessageReceived, this, [this](const QString &text) {
        if (m_done)
            return;
        const QByteArray utf8 = text.toUtf8();
        m_bytes += utf8.size();
        if (m_handlers.message)
            m_handlers.message(utf8);
    });
    connect(m_socket, &QWebSocket::binaryMessageReceived, this, [this](const QByteArray &) {
        finish(QStringLiteral("the service sent a binary message"));
    });
    connect(m_socket, qOverload<QAbstractSocket::SocketError>(&QWebSocket::error), this, [this](QAbstractSocket::SocketError) {
        finish(m_socket->errorString());
    });
    connect(m_socket, &QWebSocket::disconnected, this, [this] {
        const auto code = m_socket->closeCode();
        const QString reason = m_socket->closeReason();
        finish(reason.isEmpty() ? QStringLiteral("closed (code %1)").arg(int(code))
                                : QStringLiteral("closed (code %1): %2").arg(int(code)).arg(reason));
    });
    QNetworkRequest req(watchUrl(m_config.baseUrl));
    req.setRawHeader("User-Agent", "Rebound/" REBOUND_VERSION);
    if (!m_traceparent.isEmpty())
        req.setRawHeader("traceparent", m_traceparent);
    if (!m_config.token.isEmpty())
        req.setRawHeader("Authorization", "Bearer " + m_config.token);
    if (m_config.baseUrl.scheme() == QLatin1String("https")) {
        QSslConfiguration ssl = QSslConfiguration::defaultConfiguration();
        if (!m_config.caCertificates.isEmpty())
            ssl.addCaCertificates(m_config.caCertificates);
        m_socket->setSslConfiguration(ssl);
    }
    m_socket->open(req);
}

void WebSocketWatch::send(const QByteArray &message)
{
    if (m_socket && !m_done)
        m_socket->sendTextMessage(QString::fromUtf8(message));
}

void WebSocketWatch::finish(const QString &why)
{
    if (m_done)
        return;
    m_done = true;
    // Not from inside a Qt signal of the socket that the handler may destroy us from.
    QMetaObject::invokeMethod(
        this,
        [this, why] {
            if (m_handlers.closed)
                m_handlers.closed(why);
        },
        Qt::QueuedConnection);
}

} // namespace rebound
