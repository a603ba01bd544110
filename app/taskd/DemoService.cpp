#include "DemoService.h"

#include "GuardedTcpServer.h"

#include <QRandomGenerator>
#include <QTcpServer>

namespace rebound::taskd {

DemoService::DemoService(double tasksPerSecond, QObject *parent)
    : QObject(parent), m_rate(tasksPerSecond), m_timers(m_clock)
{
    QByteArray raw(24, Qt::Uninitialized);
    QRandomGenerator::system()->fillRange(reinterpret_cast<quint32 *>(raw.data()), raw.size() / 4);
    m_token = raw.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
    ServerOptions opts;
    opts.token = m_token;
    opts.profile = FailureProfile::demo();
    opts.seed = QRandomGenerator::system()->generate64();
    m_server = std::make_unique<TaskServer>(opts, m_clock, m_timers);
}

DemoService::~DemoService() = default;

Result<QUrl> DemoService::start()
{
    auto *tcp = new GuardedTcpServer(m_server->requestByteLimit(), m_server.get());
    if (!tcp->listen(QHostAddress::LocalHost, 0))
        return Error{QStringLiteral("demo-listen"), tcp->errorString()};
    m_server->bind(tcp);
    m_server->startGenerator(m_rate,
                             {QStringLiteral("sms.send"), QStringLiteral("pdf.render"),
                              QStringLiteral("email.send"), QStringLiteral("ai.summarize")});
    return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(tcp->serverPort()));
}

} // namespace rebound::taskd
