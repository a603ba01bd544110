#include "policy/PolicyStore.h"

#include "policy/PolicyDocument.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QFileSystemWatcher>
#include <QSaveFile>
#include <QTimer>

namespace rebound {

PolicyStore::PolicyStore(const Clock &clock, QObject *parent)
    : QObject(parent), m_clock(clock), m_watcher(new QFileSystemWatcher(this)),
      m_debounce(new QTimer(this)), m_current(std::make_shared<const PolicySet>())
{
    m_debounce->setSingleShot(true);
    m_debounce->setInterval(50);
    connect(m_debounce, &QTimer::timeout, this, &PolicyStore::reloadFromFile);
    connect(m_watcher, &QFileSystemWatcher::fileChanged, this, &PolicyStore::scheduleReload);
    connect(m_watcher, &QFileSystemWatcher::directoryChanged, this, &PolicyStore::scheduleReload);
}

PolicyStore::~PolicyStore() = default;

void PolicyStore::setReloadDelay(std::chrono::milliseconds delay)
{
    m_debounce->setInterval(delay);
}

std::shared_ptr<const PolicySet> PolicyStore::current() const
{
    QMutexLocker lock(&m_mutex);
    return m_current;
}

Result<void> PolicyStore::open(const QString &path)
{
    m_path = QFileInfo(path).absoluteFilePath();
    if (!m_watcher->files().isEmpty())
        m_watcher->removePaths(m_watcher->files());
    if (!m_watcher->directories().isEmpty())
        m_watcher->removePaths(m_watcher->directories());
    m_watcher->addPath(QFileInfo(m_path).absolutePath());
    ensureWatched();

    QFile f(m_path);
    if (!f.open(QIODevice::ReadOnly)) {
        m_lastErrors = {QStringLiteral("%1: cannot read: %2").arg(m_path, f.errorString())};
        return Result<void>::failure(QStringLiteral("policy-file-unreadable"),
                                     m_lastErrors.first());
    }
    if (const auto tooBig = refuseOversized(f); !tooBig)
        return tooBig;
    const QByteArray content = f.read(PolicyDocument::kMaxBytes + 1);
    return accept(content, QStringLiteral("file"));
}

void PolicyStore::ensureWatched()
{
    // After an atomic rename the watcher has lost the old inode; watch the new file again.
    if (!m_path.isEmpty() && QFileInfo::exists(m_path) && !m_watcher->files().contains(m_path))
        m_watcher->addPath(m_path);
}

void PolicyStore::scheduleReload()
{
    m_debounce->start();
}

void PolicyStore::reloadFromFile()
{
    ensureWatched();
    QFile f(m_path);
    if (!f.open(QIODevice::ReadOnly))
        return; // mid-rename or deleted: keep the last good set, wait for the next change
    if (!refuseOversized(f))
        return;
    const QByteArray content = f.read(PolicyDocument::kMaxBytes + 1);
    {
        QMutexLocker lock(&m_mutex);
        if (!m_history.isEmpty() &&
            QCryptographicHash::hash(content, QCryptographicHash::Sha256).toHex() ==
                m_history.last().sha256)
            return; // touched but unchanged (or our own apply())
    }
    (void)accept(content, QStringLiteral("file-change"));
}

Result<void> PolicyStore::refuseOversized(const QFile &f)
{
    // Judged by the file's size, before reading: a 2 GiB file costs nothing and is named as such.
    if (f.size() <= PolicyDocument::kMaxBytes)
        return {};
    m_lastErrors = {QStringLiteral("%1: %2 bytes, larger than the %3-byte limit for a policy file")
                        .arg(m_path)
                        .arg(f.size())
                        .arg(PolicyDocument::kMaxBytes)};
    Q_EMIT reloadFailed(m_lastErrors);
    return Result<void>::failure(QStringLiteral("invalid-policy"), m_lastErrors.first());
}

Result<void> PolicyStore::adopt(const QByteArray &document, const QString &source, int number)
{
    if (document.size() > PolicyDocument::kMaxBytes)
        return Result<void>::failure(
            QStringLiteral("invalid-policy"),
            QStringLiteral("%1 bytes, larger than the %2-byte limit for a policy document")
                .arg(document.size())
                .arg(PolicyDocument::kMaxBytes));
    {
        QMutexLocker lock(&m_mutex);
        if (!m_history.isEmpty() && number <= m_history.last().number)
            return Result<void>::failure(
                QStringLiteral("stale-policy"),
                QStringLiteral("version %1 is not newer than the current version %2")
                    .arg(number)
                    .arg(m_history.last().number));
    }
    // Refused here, not through reloadFailed: that signal is about the policy file, and the
    // caller (the fleet's feed) reports a refused version as what it is.
    const PolicyValidation v = PolicyDocument::parse(document);
    if (!v.ok())
        return Result<void>::failure(QStringLiteral("invalid-policy"), v.errors.join(u'\n'));
    return accept(document, source, number);
}

Result<void> PolicyStore::accept(const QByteArray &document, const QString &source,
                                 std::optional<int> number)
{
    PolicyValidation v = PolicyDocument::parse(document);
    if (!v.ok()) {
        m_lastErrors = v.errors;
        Q_EMIT reloadFailed(v.errors);
        return Result<void>::failure(QStringLiteral("invalid-policy"), v.errors.join(u'\n'));
    }
    install(std::move(*v.set), document, source, number);
    return {};
}

void PolicyStore::install(PolicySet set, const QByteArray &document, const QString &source,
                          std::optional<int> number)
{
    m_lastErrors.clear();
    PolicyVersion version;
    version.at = m_clock.wallNow();
    version.source = source;
    version.sha256 = QCryptographicHash::hash(document, QCryptographicHash::Sha256).toHex();
    version.content = document;
    {
        QMutexLocker lock(&m_mutex);
        version.number = number ? *number : m_history.isEmpty() ? 1 : m_history.last().number + 1;
        m_current = std::make_shared<const PolicySet>(std::move(set));
        m_history.append(version);
    }
    Q_EMIT policiesChanged(version.number);
}

Result<void> PolicyStore::apply(const QByteArray &document, const QString &source)
{
    PolicyValidation v = PolicyDocument::parse(document); // parsed once: written, then installed
    if (!v.ok())
        return Result<void>::failure(QStringLiteral("invalid-policy"), v.errors.join(u'\n'));
    if (!m_path.isEmpty()) {
        QSaveFile out(m_path);
        if (!out.open(QIODevice::WriteOnly) || out.write(document) != document.size() ||
            !out.commit()) {
            return Result<void>::failure(
                QStringLiteral("policy-file-unwritable"),
                QStringLiteral("%1: cannot write: %2").arg(m_path, out.errorString()));
        }
    }
    install(std::move(*v.set), document, source, std::nullopt);
    return {};
}

} // namespace rebound
