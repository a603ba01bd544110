#pragma once

#include <QDialog>

#include <atomic>

class QCheckBox;
class QComboBox;
class QDateTimeEdit;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QThread;

namespace rebound {

/// Export the retry history to CSV: file, time range, type, outcome, selected tasks only. The
/// export runs on its own thread (with its own database connection) behind a progress bar with
/// Cancel; the window stays responsive, and a cancelled or failed export leaves no partial file.
class ExportDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ExportDialog)

public:
    /// Where an export goes by default: a folder that exists.
    static QString defaultFolder();

    ExportDialog(const QString &databasePath, const QStringList &types,
                 const QStringList &selectedIds, QWidget *parent = nullptr);
    ~ExportDialog() override;

    /// Starts the export with the current settings (the Export button does the same).
    void startExport();
    bool isRunning() const { return m_thread != nullptr; }

Q_SIGNALS:
    void finished(bool ok, const QString &message);

private:
    void done(bool ok, const QString &message, qint64 rows);

    QString m_databasePath;
    QStringList m_selectedIds;
    QLineEdit *m_file;
    QCheckBox *m_useRange;
    QDateTimeEdit *m_from;
    QDateTimeEdit *m_to;
    QComboBox *m_type;
    QComboBox *m_outcome;
    QCheckBox *m_selectedOnly;
    QProgressBar *m_progress;
    QLabel *m_status;
    QDialogButtonBox *m_buttons;
    QThread *m_thread = nullptr;
    std::atomic<bool> m_cancel{false};
};

} // namespace rebound
