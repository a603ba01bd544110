#pragma once

#include <QObject>
#include <QString>

#include <functional>

class QMainWindow;

namespace rebound {
class PolicyStore;
}

/// The console's screenshots for the README and for looking at a change as a user would:
/// the main window with the task most in need of attention selected (once its attempts have
/// loaded), the Charts dock, the Fleet dock (in fleet mode) and the policy editor, each named
/// after the screen it was taken on ("main-window-1280x800.png"). Each step waits on a timer
/// for what it shows to arrive; nothing blocks the event loop.
class ScreenshotTour final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ScreenshotTour)

public:
    ScreenshotTour(QMainWindow &window, rebound::PolicyStore &policies, QString dir,
                   QObject *parent = nullptr);
    /// Takes them one after another, then runs `done`.
    void run(std::function<void()> done);

private:
    void save(const QString &name);
    /// Raises the dock named `dock` (if there is one) and saves the window after `settleMs`;
    /// then `next`.
    void dock(const QString &dock, const QString &name, std::function<void()> next);
    void editor();

    QMainWindow &m_window;
    rebound::PolicyStore &m_policies;
    QString m_dir;
    QString m_size;
    std::function<void()> m_done;
};
