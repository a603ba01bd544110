#include "Keychain.h"

#include <QEventLoop>
#include <QTimer>

#ifdef REBOUND_HAVE_KEYCHAIN
#include <qt6keychain/keychain.h>
#endif

using namespace rebound;

namespace {

constexpr int kTimeoutMs = 5000;

#ifdef REBOUND_HAVE_KEYCHAIN
enum class Outcome
{
    Done,
    NotFound
};

/// Runs `job` (not auto-deleted) and waits for it; an unanswered job is waited for a while
/// longer before it goes out of scope, because deleting a pending job is not safe.
Result<Outcome> runAndWait(QKeychain::Job &job)
{
    job.setAutoDelete(false);
    QEventLoop loop;
    QObject::connect(&job, &QKeychain::Job::finished, &loop, &QEventLoop::quit);
    QTimer timeout;
    timeout.setSingleShot(true);
    bool timedOut = false;
    QObject::connect(&timeout, &QTimer::timeout, &loop, [&] {
        timedOut = true;
        loop.quit();
    });
    timeout.start(kTimeoutMs);
    job.start();
    loop.exec();
    if (timedOut) {
        QEventLoop drain;
        QObject::connect(&job, &QKeychain::Job::finished, &drain, &QEventLoop::quit);
        QTimer::singleShot(10'000, &drain, &QEventLoop::quit);
        drain.exec();
        return Error{
            QStringLiteral("keychain"),
            QStringLiteral("the OS keychain did not answer within %1 s").arg(kTimeoutMs / 1000)};
    }
    if (job.error() == QKeychain::EntryNotFound)
        return Outcome::NotFound;
    if (job.error() != QKeychain::NoError)
        return Error{QStringLiteral("keychain"), job.errorString()};
    return Outcome::Done;
}

/// runAndWait() for a job whose only answer is done or not (an entry to remove that is not
/// there is done).
Result<void> runToEnd(QKeychain::Job &job)
{
    const auto outcome = runAndWait(job);
    if (!outcome)
        return outcome.error();
    return {};
}
#else
Error unavailable()
{
    return Error{QStringLiteral("keychain"),
                 QStringLiteral("this build has no keychain support (QtKeychain)")};
}
#endif

} // namespace

Result<std::optional<QByteArray>> Keychain::read(const QString &entry)
{
#ifdef REBOUND_HAVE_KEYCHAIN
    QKeychain::ReadPasswordJob job(SecretSource::kKeychainService);
    job.setKey(entry);
    const auto outcome = runAndWait(job);
    if (!outcome)
        return outcome.error();
    if (*outcome == Outcome::NotFound)
        return std::optional<QByteArray>();
    return std::optional<QByteArray>(job.binaryData());
#else
    Q_UNUSED(entry);
    return unavailable();
#endif
}

Result<void> Keychain::write(const QString &entry, const QByteArray &secret)
{
#ifdef REBOUND_HAVE_KEYCHAIN
    QKeychain::WritePasswordJob job(SecretSource::kKeychainService);
    job.setKey(entry);
    job.setBinaryData(secret);
    return runToEnd(job);
#else
    Q_UNUSED(entry);
    Q_UNUSED(secret);
    return unavailable();
#endif
}

Result<void> Keychain::remove(const QString &entry)
{
#ifdef REBOUND_HAVE_KEYCHAIN
    QKeychain::DeletePasswordJob job(SecretSource::kKeychainService);
    job.setKey(entry);
    return runToEnd(job);
#else
    Q_UNUSED(entry);
    return unavailable();
#endif
}

SecretSource::Keychain Keychain::lookup()
{
    return [](const QString &entry) { return read(entry); };
}
