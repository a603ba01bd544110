#include "CredentialStore.h"

#include "support/SecretSource.h"

#include <QTimer>

#include <qt6keychain/keychain.h>

#include <memory>

namespace rebound {

namespace {
const QString &kService = SecretSource::kKeychainService;

// Runs `job` with a timeout; `done` is called exactly once.
void run(QKeychain::Job *job, int timeoutMs, CredentialStore::Done done, QObject *context)
{
    auto called = std::make_shared<bool>(false);
    auto *timer = new QTimer(context);
    timer->setSingleShot(true);
    QObject::connect(timer, &QTimer::timeout, context, [called, done, timer] {
        timer->deleteLater();
        if (*called)
            return;
        *called = true;
        done(false, {}, QObject::tr("the OS keychain did not answer in time"));
    });
    QObject::connect(job, &QKeychain::Job::finished, context,
                     [called, done, timer](QKeychain::Job *j) {
                         timer->stop();
                         timer->deleteLater();
                         if (*called)
                             return;
                         *called = true;
                         QByteArray token;
                         if (auto *r = qobject_cast<QKeychain::ReadPasswordJob *>(j))
                             token = r->binaryData();
                         done(j->error() == QKeychain::NoError, token, j->errorString());
                     });
    job->setAutoDelete(true); // deletes itself when finished, never earlier
    timer->start(timeoutMs);
    job->start();
}
} // namespace

CredentialStore::CredentialStore(QObject *parent) : QObject(parent) {}

void CredentialStore::read(const QString &endpoint, Done done)
{
    auto *job = new QKeychain::ReadPasswordJob(kService);
    job->setKey(endpoint);
    run(job, m_timeoutMs, std::move(done), this);
}

void CredentialStore::write(const QString &endpoint, const QByteArray &token, Done done)
{
    auto *job = new QKeychain::WritePasswordJob(kService);
    job->setKey(endpoint);
    job->setBinaryData(token);
    run(job, m_timeoutMs, std::move(done), this);
}

void CredentialStore::remove(const QString &endpoint, Done done)
{
    auto *job = new QKeychain::DeletePasswordJob(kService);
    job->setKey(endpoint);
    run(job, m_timeoutMs, std::move(done), this);
}

} // namespace rebound
