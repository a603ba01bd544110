#pragma once

#include "remote/EndpointConfig.h"

#include <QDialog>

class QCheckBox;
class QLabel;
class QLineEdit;

namespace rebound {

class CredentialStore;

/// Add an endpoint: URL, token and an optional CA certificate. The token goes to the OS
/// keychain only (never QSettings, logs, the database or CSV); when no keychain is reachable
/// the operator is told and the token is used for this session only.
class EndpointsDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EndpointsDialog)

public:
    EndpointsDialog(CredentialStore &credentials, QWidget *parent = nullptr);
    EndpointConfig endpoint() const { return m_endpoint; }
    /// Endpoints remembered in settings (URLs and CA files only, never tokens).
    static QList<QPair<QString, QString>> remembered();
    static void remember(const QString &url, const QString &caFile);
    static void forget(const QString &url);

private:
    static void store(const QList<QPair<QString, QString>> &list);
    void tryAccept();

    CredentialStore &m_credentials;
    QLineEdit *m_url;
    QLineEdit *m_token;
    QLineEdit *m_caFile;
    QCheckBox *m_store;
    QLabel *m_status;
    EndpointConfig m_endpoint;
};

} // namespace rebound
