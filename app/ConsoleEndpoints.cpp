#include "ConsoleEndpoints.h"

#include "CredentialStore.h"
#include "DemoService.h"
#include "EndpointsDialog.h"
#include "engine/EngineCommands.h"
#include "remote/EndpointConfig.h"

#include <QFile>
#include <QMessageBox>
#include <QSslCertificate>

using namespace rebound;

ConsoleEndpoints::ConsoleEndpoints(const ConsoleOptions &options, EngineCommands &engine,
                                   CredentialStore &credentials, QWidget *window)
    : m_options(options), m_engine(engine), m_credentials(credentials), m_window(window)
{}

ConsoleEndpoints::~ConsoleEndpoints() = default;

bool ConsoleEndpoints::add()
{
    if (!m_options.url.isEmpty()) {
        const auto base = EndpointConfig::parseBaseUrl(m_options.url, QStringLiteral("--url"));
        if (!base) {
            QMessageBox::critical(m_window, QStringLiteral("Rebound"), base.error().message);
            return false;
        }
        EndpointConfig e;
        e.baseUrl = *base;
        e.token = m_options.urlToken;
        m_engine.addEndpoint(e);
        return true;
    }
    if (m_options.demo)
        return addDemo();
    addRemembered();
    return true;
}

bool ConsoleEndpoints::addDemo()
{
    m_demo = std::make_unique<taskd::DemoService>(3.0);
    const auto url = m_demo->start();
    if (!url) {
        QMessageBox::critical(
            m_window, QStringLiteral("Rebound"),
            QObject::tr("The demo service could not start: %1").arg(url.error().message));
        return false;
    }
    EndpointConfig e;
    e.baseUrl = *url;
    e.token = m_demo->token();
    m_engine.addEndpoint(e);
    return true;
}

void ConsoleEndpoints::addRemembered()
{
    const auto endpoints = EndpointsDialog::remembered();
    if (endpoints.isEmpty()) {
        EndpointsDialog dialog(m_credentials, m_window);
        if (dialog.exec() == QDialog::Accepted)
            m_engine.addEndpoint(dialog.endpoint());
    }
    for (const auto &[url, caFile] : endpoints) {
        m_credentials.read(
            url, [this, url, caFile](bool ok, const QByteArray &token, const QString &) {
                if (m_closed) // the console is stopping
                    return;
                EndpointConfig e;
                e.baseUrl = QUrl(url);
                e.token = ok ? token : qgetenv("REBOUND_TOKEN");
                if (!caFile.isEmpty()) {
                    QFile f(caFile);
                    if (f.open(QIODevice::ReadOnly))
                        e.caCertificates = QSslCertificate::fromData(f.readAll(), QSsl::Pem);
                }
                m_engine.addEndpoint(e);
            });
    }
}
