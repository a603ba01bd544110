#include "TokenSource.h"

#include <QEventLoop>
#include <QFile>
#include <QTimer>

#ifdef REBOUND_HAVE_KEYCHAIN
#include <qt6keychain/keychain.h>
#endif

namespace {

/// A secret from a file named by `flag`: its first 64 KiB, trimmed; an empty file is an error.
std::optional<QByteArray> readSecretFile(const QString &flag, const QString &path, QString &error)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        error = QStringLiteral("%1 %2: %3").arg(flag, path, f.errorString());
        return std::nullopt;
    }
    const QByteArray secret = f.read(64 * 1024).trimmed();
    if (secret.isEmpty()) {
        error = QStringLiteral("%1 %2: the file is empty").arg(flag, path);
        return std::nullopt;
    }
    return secret;
}

} // namespace

std::optional<QByteArray> TokenSource::resolve(const QString &endpoint, const QString &tokenFile,
                                               QString &error)
{
    if (!tokenFile.isEmpty())
        return readSecretFile(QStringLiteral("--token-file"), tokenFile, error);
    const QByteArray env = qgetenv("REBOUND_TOKEN");
    if (!env.isEmpty())
        return env;
    return fromKeychain(endpoint, error);
}

std::optional<QByteArray> TokenSource::redisPassword(const QString &file, QString &error)
{
    if (!file.isEmpty())
        return readSecretFile(QStringLiteral("--redis-password-file"), file, error);
    return qgetenv("REBOUND_REDIS_PASSWORD");
}

std::optional<QByteArray> TokenSource::fromKeychain(const QString &endpoint, QString &error)
{
#ifdef REBOUND_HAVE_KEYCHAIN
    QKeychain::ReadPasswordJob job(QStringLiteral("rebound"));
    job.setAutoDelete(false);
    job.setKey(endpoint);
    QEventLoop loop;
    QObject::connect(&job, &QKeychain::Job::finished, &loop, &QEventLoop::quit);
    QTimer timeout;
    timeout.setSingleShot(true);
    bool timedOut = false;
    QObject::connect(&timeout, &QTimer::timeout, &loop, [&] {
        timedOut = true;
        loop.quit();
    });
    timeout.start(5000);
    job.start();
    loop.exec();
    if (timedOut) {
        // The job is still pending: keep it alive until it finishes rather than delete it.
        QEventLoop drain;
        QObject::connect(&job, &QKeychain::Job::finished, &drain, &QEventLoop::quit);
        QTimer::singleShot(10'000, &drain, &QEventLoop::quit);
        drain.exec();
        error = QStringLiteral(
            "the OS keychain did not answer within 5 s; use --token-file or REBOUND_TOKEN");
        return std::nullopt;
    }
    if (job.error() != QKeychain::NoError) {
        error = QStringLiteral(
                    "no token for %1 in the OS keychain (%2); use --token-file or REBOUND_TOKEN")
                    .arg(endpoint, job.errorString());
        return std::nullopt;
    }
    return job.textData().toUtf8();
#else
    error = QStringLiteral(
        "no token: use --token-file or REBOUND_TOKEN (built without keychain support)");
    Q_UNUSED(endpoint);
    return std::nullopt;
#endif
}
