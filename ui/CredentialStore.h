#pragma once

#include <QByteArray>
#include <QObject>
#include <QString>

#include <functional>

namespace rebound {

/// Endpoint tokens in the OS keychain (QtKeychain), and nowhere else. Every job has a timeout;
/// a job that times out is left to finish on its own (never deleted while pending).
class CredentialStore final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(CredentialStore)

public:
    using Done = std::function<void(bool ok, const QByteArray &token, const QString &error)>;
    explicit CredentialStore(QObject *parent = nullptr);

    void read(const QString &endpoint, Done done);
    void write(const QString &endpoint, const QByteArray &token, Done done);
    void remove(const QString &endpoint, Done done);
    void setTimeout(int ms) { m_timeoutMs = ms; }

private:
    int m_timeoutMs = 5000;
};

} // namespace rebound
