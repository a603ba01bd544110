#pragma once

#include "policy/PolicySet.h"
#include "support/Result.h"
#include "time/Clock.h"

#include <QDateTime>
#include <QMutex>
#include <QObject>
#include <QStringList>

#include <memory>
#include <optional>

class QFile;
class QFileSystemWatcher;
class QTimer;

namespace rebound {

/// One accepted version of the policies.
struct PolicyVersion
{
    int number = 0;
    QDateTime at;       ///< wall time it was accepted
    QString source;     ///< "file", "file-change", or who applied it (e.g. "console:alice")
    QByteArray sha256;  ///< hex digest of the exact document bytes
    QByteArray content; ///< the document as accepted
};

/// Holds the current policy set and its history, and hot-reloads the policy file.
///
/// The file and its directory are watched, so both in-place writes and editors that save by
/// atomic rename are seen. Each change is validated; a valid one is swapped in whole (readers
/// hold shared_ptr<const PolicySet> and see it at their next decision), an invalid one is
/// reported and the last good version stays.
class PolicyStore final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PolicyStore)

public:
    explicit PolicyStore(const Clock &clock, QObject *parent = nullptr);
    ~PolicyStore() override;

    /// Loads `path` and starts watching it. Fails (and keeps the previous set) when the file is
    /// missing or invalid; the watch is kept either way so a later fix is picked up.
    Result<void> open(const QString &path);
    /// Validates and applies a document, writing it to the file (atomically) when one is open.
    Result<void> apply(const QByteArray &document, const QString &source);
    /// Validates and applies a version numbered elsewhere (the fleet's config centre: etcd's
    /// mod_revision), never written to a file. A number not above the current one is refused.
    Result<void> adopt(const QByteArray &document, const QString &source, int number);

    std::shared_ptr<const PolicySet> current() const;
    QList<PolicyVersion> history() const { return m_history; }
    QStringList lastErrors() const { return m_lastErrors; }
    QString path() const { return m_path; }
    /// Debounce between a file-system notification and the re-read (editors write in bursts).
    void setReloadDelay(std::chrono::milliseconds delay);

Q_SIGNALS:
    void policiesChanged(int version);
    void reloadFailed(const QStringList &errors);

private:
    /// Parses `document` and installs it; an invalid one is reported (reloadFailed).
    Result<void> accept(const QByteArray &document, const QString &source,
                        std::optional<int> number = std::nullopt);
    /// Makes an already validated set the current one and records its version.
    void install(PolicySet set, const QByteArray &document, const QString &source,
                 std::optional<int> number);
    Result<void> refuseOversized(const QFile &f);
    void scheduleReload();
    void reloadFromFile();
    void ensureWatched();

    const Clock &m_clock;
    QString m_path;
    QFileSystemWatcher *m_watcher;
    QTimer *m_debounce;
    mutable QMutex m_mutex;
    std::shared_ptr<const PolicySet> m_current;
    QList<PolicyVersion> m_history;
    QStringList m_lastErrors;
};

} // namespace rebound
