#include "ExportDialog.h"

#include "history/HistoryStore.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateTimeEdit>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPointer>
#include <QProgressBar>
#include <QPushButton>
#include <QSaveFile>
#include <QStandardPaths>
#include <QThread>

namespace rebound {

QString ExportDialog::defaultFolder()
{
    // The documents folder, made when a fresh home does not have it yet; the home otherwise.
    const QString docs = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
    if (!docs.isEmpty() && QDir().mkpath(docs) && QFileInfo(docs).isWritable())
        return docs;
    return QDir::homePath();
}

ExportDialog::ExportDialog(const QString &databasePath, const QStringList &types,
                           const QStringList &selectedIds, QWidget *parent)
    : QDialog(parent), m_databasePath(databasePath), m_selectedIds(selectedIds),
      m_file(new QLineEdit(this)),
      m_useRange(new QCheckBox(tr("Only attempts started between"), this)),
      m_from(new QDateTimeEdit(this)), m_to(new QDateTimeEdit(this)), m_type(new QComboBox(this)),
      m_outcome(new QComboBox(this)),
      m_selectedOnly(new QCheckBox(tr("Selected tasks only (%1)").arg(selectedIds.size()), this)),
      m_progress(new QProgressBar(this)), m_status(new QLabel(this)),
      m_buttons(new QDialogButtonBox(QDialogButtonBox::Cancel, this))
{
    setObjectName(QStringLiteral("exportDialog"));
    setWindowTitle(tr("Export retry history"));
    m_file->setObjectName(QStringLiteral("exportFile"));
    m_file->setText(defaultFolder() + QStringLiteral("/rebound-attempts.csv"));
    auto *browse = new QPushButton(tr("Browse…"), this);
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString f = QFileDialog::getSaveFileName(this, tr("Export to"), m_file->text(),
                                                       tr("CSV files (*.csv)"));
        if (!f.isEmpty())
            m_file->setText(f);
    });
    auto *fileRow = new QHBoxLayout;
    fileRow->addWidget(m_file, 1);
    fileRow->addWidget(browse);
    m_from->setObjectName(QStringLiteral("exportFrom"));
    m_to->setObjectName(QStringLiteral("exportTo"));
    m_from->setDateTime(QDateTime::currentDateTime().addDays(-1));
    m_to->setDateTime(QDateTime::currentDateTime().addSecs(3600));
    m_from->setCalendarPopup(true);
    m_to->setCalendarPopup(true);
    auto *range = new QHBoxLayout;
    range->addWidget(m_useRange);
    range->addWidget(m_from);
    range->addWidget(new QLabel(tr("and"), this));
    range->addWidget(m_to);
    m_type->setObjectName(QStringLiteral("exportType"));
    m_type->addItem(tr("All types"), QString());
    for (const QString &t : types)
        m_type->addItem(t, t);
    m_outcome->setObjectName(QStringLiteral("exportOutcome"));
    m_outcome->addItem(tr("All outcomes"), QString());
    for (const char *o : {"succeeded", "failed", "timeout", "running"})
        m_outcome->addItem(QString::fromLatin1(o), QString::fromLatin1(o));
    m_selectedOnly->setObjectName(QStringLiteral("exportSelectedOnly"));
    m_selectedOnly->setEnabled(!selectedIds.isEmpty());
    m_progress->setObjectName(QStringLiteral("exportProgress"));
    m_progress->setRange(0, 100);
    m_progress->setValue(0);
    m_status->setObjectName(QStringLiteral("exportStatus"));
    m_status->setWordWrap(true);
    // A long path in an error must be readable whole: the label may grow, and selects.
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_status->setMinimumWidth(420);
    auto *exportButton = m_buttons->addButton(tr("Export"), QDialogButtonBox::AcceptRole);
    exportButton->setObjectName(QStringLiteral("exportButton"));

    auto *form = new QFormLayout(this);
    form->addRow(tr("File"), fileRow);
    form->addRow(range);
    form->addRow(tr("Task type"), m_type);
    form->addRow(tr("Outcome"), m_outcome);
    form->addRow(m_selectedOnly);
    form->addRow(m_progress);
    form->addRow(m_status);
    form->addRow(m_buttons);
    connect(exportButton, &QPushButton::clicked, this, &ExportDialog::startExport);
    connect(m_buttons, &QDialogButtonBox::rejected, this, [this] {
        if (m_thread)
            m_cancel = true; // the worker stops at its next chunk and reports back
        else
            reject();
    });
}

ExportDialog::~ExportDialog()
{
    if (m_thread) {
        m_cancel = true;
        m_thread->wait();
    }
}

void ExportDialog::startExport()
{
    if (m_thread)
        return;
    const QString path = m_file->text().trimmed();
    if (path.isEmpty()) {
        m_status->setText(tr("Choose a file to export to."));
        return;
    }
    ExportFilter filter;
    if (m_useRange->isChecked()) {
        if (m_from->dateTime() >= m_to->dateTime()) {
            m_status->setText(tr("The start of the time range must be before its end."));
            return;
        }
        filter.sinceWallMs = m_from->dateTime().toMSecsSinceEpoch();
        filter.untilWallMs = m_to->dateTime().toMSecsSinceEpoch();
    }
    filter.taskType = m_type->currentData().toString();
    if (!m_outcome->currentData().toString().isEmpty())
        filter.outcome = attemptOutcomeFromText(m_outcome->currentData().toString());
    if (m_selectedOnly->isChecked())
        filter.taskIds = m_selectedIds;
    m_cancel = false;
    m_progress->setValue(0);
    m_status->setText(tr("Exporting…"));
    m_buttons->button(QDialogButtonBox::Cancel)->setText(tr("Stop"));
    QPointer<ExportDialog> self(this);
    const QString db = m_databasePath;
    m_thread = QThread::create([self, db, path, filter, cancel = &m_cancel] {
        QString message;
        bool ok = false;
        qint64 rows = 0;
        auto history = HistoryStore::open(db); // its own connection, on this thread
        if (!history) {
            message = history.error().message;
        } else {
            QSaveFile out(path);
            if (!out.open(QIODevice::WriteOnly)) {
                message = tr("%1: %2").arg(path, out.errorString());
            } else {
                const auto r = (*history)->exportCsv(
                    out, filter,
                    [self](std::int64_t doneRows, std::int64_t total) {
                        const int percent = total > 0 ? int(100 * doneRows / total) : 100;
                        QMetaObject::invokeMethod(self.data(), [self, percent] {
                            if (self)
                                self->m_progress->setValue(percent);
                        });
                    },
                    cancel);
                if (!r) {
                    out.cancelWriting();
                    message = r.error().message;
                } else if (!out.commit()) {
                    message = tr("%1: %2").arg(path, out.errorString());
                } else {
                    ok = true;
                    rows = *r;
                }
            }
        }
        QMetaObject::invokeMethod(self.data(), [self, ok, message, rows] {
            if (self)
                self->done(ok, message, rows);
        });
    });
    connect(m_thread, &QThread::finished, m_thread, &QObject::deleteLater);
    m_thread->start();
}

void ExportDialog::done(bool ok, const QString &message, qint64 rows)
{
    if (m_thread) {
        m_thread->wait();
        m_thread = nullptr;
    }
    m_buttons->button(QDialogButtonBox::Cancel)->setText(tr("Close"));
    if (ok) {
        m_progress->setValue(100);
        m_status->setText(tr("Wrote %n row(s) to %1.", nullptr, int(rows)).arg(m_file->text()));
    } else {
        m_status->setText(tr("Export failed: %1. Nothing was written.").arg(message));
    }
    Q_EMIT finished(ok, ok ? m_file->text() : message);
}

} // namespace rebound
