#include "ScreenshotTour.h"

#include "PolicyEditorDialog.h"

#include <QDockWidget>
#include <QMainWindow>
#include <QScreen>
#include <QTableView>
#include <QTimer>

namespace {
constexpr int kAttemptsLoadMs = 1500; // the Attempts pane reads the selected task's attempts
constexpr int kSettleMs = 600;        // a raised dock lays out and draws
} // namespace

ScreenshotTour::ScreenshotTour(QMainWindow &window, rebound::PolicyStore &policies, QString dir,
                               QObject *parent)
    : QObject(parent), m_window(window), m_policies(policies), m_dir(std::move(dir))
{}

void ScreenshotTour::run(std::function<void()> done)
{
    m_done = std::move(done);
    const QSize screen = m_window.screen()->size();
    m_size = QStringLiteral("%1x%2").arg(screen.width()).arg(screen.height());
    if (auto *table = m_window.findChild<QTableView *>(QStringLiteral("taskTable"));
        table && table->model()->rowCount() > 0)
        table->selectRow(0);
    QTimer::singleShot(kAttemptsLoadMs, this, [this] {
        save(QStringLiteral("main-window"));
        dock(QStringLiteral("chartsDock"), QStringLiteral("charts"), [this] {
            dock(QStringLiteral("fleetDock"), QStringLiteral("fleet"), [this] { editor(); });
        });
    });
}

void ScreenshotTour::save(const QString &name)
{
    m_window.grab().save(QStringLiteral("%1/%2-%3.png").arg(m_dir, name, m_size));
}

void ScreenshotTour::dock(const QString &dockName, const QString &name, std::function<void()> next)
{
    auto *d = m_window.findChild<QDockWidget *>(dockName);
    if (!d) {
        next();
        return;
    }
    d->raise();
    QTimer::singleShot(kSettleMs, this, [this, name, next = std::move(next)] {
        save(name);
        next();
    });
}

void ScreenshotTour::editor()
{
    auto *dialog = new rebound::PolicyEditorDialog(m_policies, &m_window);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->show();
    QTimer::singleShot(0, this, [this, dialog] {
        dialog->grab().save(QStringLiteral("%1/policy-editor-%2.png").arg(m_dir, m_size));
        dialog->close();
        m_done();
    });
}
