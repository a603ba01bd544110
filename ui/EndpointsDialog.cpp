#include "EndpointsDialog.h"

#include "CredentialStore.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QFile>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>

namespace rebound {

EndpointsDialog::EndpointsDialog(CredentialStore &credentials, QWidget *parent)
    : QDialog(parent), m_credentials(credentials), m_url(new QLineEdit(this)),
      m_token(new QLineEdit(this)), m_caFile(new QLineEdit(this)),
      m_store(new QCheckBox(tr("Keep the token in the OS keychain"), this)),
      m_status(new QLabel(this))
{
    setObjectName(QStringLiteral("endpointsDialog"));
    setWindowTitle(tr("Connect to an endpoint"));
    m_url->setObjectName(QStringLiteral("endpointUrl"));
    m_url->setPlaceholderText(QStringLiteral("https://tasks.example.com"));
    m_token->setObjectName(QStringLiteral("endpointToken"));
    m_token->setEchoMode(QLineEdit::Password);
    m_caFile->setObjectName(QStringLiteral("endpointCaFile"));
    m_caFile->setPlaceholderText(tr("optional: PEM file of a private CA"));
    m_store->setObjectName(QStringLiteral("storeToken"));
    m_store->setChecked(true);
    m_status->setObjectName(QStringLiteral("endpointStatusText"));
    m_status->setWordWrap(true);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Connect"));
    auto *form = new QFormLayout(this);
    form->addRow(tr("URL"), m_url);
    form->addRow(tr("Token"), m_token);
    form->addRow(tr("CA certificate"), m_caFile);
    form->addRow(m_store);
    form->addRow(m_status);
    form->addRow(buttons);
    connect(buttons, &QDialogButtonBox::accepted, this, &EndpointsDialog::tryAccept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
}

void EndpointsDialog::tryAccept()
{
    const auto url = EndpointConfig::parseBaseUrl(m_url->text(), tr("URL"));
    if (!url) {
        m_status->setText(url.error().message);
        return;
    }
    EndpointConfig e;
    e.baseUrl = *url;
    e.token = m_token->text().toUtf8();
    if (!m_caFile->text().trimmed().isEmpty()) {
        QFile f(m_caFile->text().trimmed());
        if (!f.open(QIODevice::ReadOnly)) {
            m_status->setText(tr("Cannot read the CA certificate: %1").arg(f.errorString()));
            return;
        }
        e.caCertificates = QSslCertificate::fromData(f.readAll(), QSsl::Pem);
        if (e.caCertificates.isEmpty()) {
            m_status->setText(tr("%1 holds no PEM certificate.").arg(f.fileName()));
            return;
        }
    }
    m_endpoint = e;
    remember(e.key(), m_caFile->text().trimmed());
    if (!m_store->isChecked() || e.token.isEmpty()) {
        accept();
        return;
    }
    m_status->setText(tr("Saving the token in the OS keychain…"));
    m_credentials.write(
        e.key(), e.token, [this](bool ok, const QByteArray &, const QString &error) {
            if (ok) {
                accept();
                return;
            }
            m_store->setChecked(false);
            m_status->setText(
                tr("No keychain is reachable (%1). The token will be used for this session only; "
                   "press Connect again to continue.")
                    .arg(error));
        });
}

QList<QPair<QString, QString>> EndpointsDialog::remembered()
{
    QSettings s;
    QList<QPair<QString, QString>> out;
    const int n = s.beginReadArray(QStringLiteral("endpoints"));
    for (int i = 0; i < n; ++i) {
        s.setArrayIndex(i);
        out.append({s.value(QStringLiteral("url")).toString(),
                    s.value(QStringLiteral("caFile")).toString()});
    }
    s.endArray();
    return out;
}

void EndpointsDialog::remember(const QString &url, const QString &caFile)
{
    forget(url);
    auto list = remembered();
    list.append({url, caFile});
    store(list);
}

void EndpointsDialog::forget(const QString &url)
{
    auto list = remembered();
    list.erase(
        std::remove_if(list.begin(), list.end(), [&](const auto &p) { return p.first == url; }),
        list.end());
    store(list);
}

void EndpointsDialog::store(const QList<QPair<QString, QString>> &list)
{
    QSettings s;
    s.remove(QStringLiteral("endpoints"));
    s.beginWriteArray(QStringLiteral("endpoints"));
    for (int i = 0; i < list.size(); ++i) {
        s.setArrayIndex(i);
        s.setValue(QStringLiteral("url"), list[i].first);
        s.setValue(QStringLiteral("caFile"), list[i].second);
    }
    s.endArray();
}

} // namespace rebound
