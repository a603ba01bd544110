#pragma once

#include "engine/EngineCommands.h"
#include "engine/EngineView.h"
#include "engine/TaskState.h"

#include <QList>
#include <QObject>
#include <QString>

class QAction;
class QTableView;
class QWidget;

namespace rebound {

class TaskFilterProxy;

/// The operator's commands on the selected tasks: retry now, cancel retries, abort the running
/// attempt, pause or resume their types, force their breakers open or reset them. Owns the
/// actions (for the toolbar, the menus and the table's context menu), keeps them enabled as
/// the engine allows (a disabled action's tooltip says why), asks before bulk and type-wide
/// changes, and reports what happened as notices.
class TaskActions final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TaskActions)

public:
    struct Selected
    {
        QString endpoint;
        QString id;
        QString type;
        TaskState state = TaskState::Pending;
    };

    /// `window` parents the actions and the questions asked.
    TaskActions(const EngineView &view, EngineCommands &commands, QTableView *table,
                TaskFilterProxy *proxy, QWidget *window);

    /// The selected rows, in the table's order.
    QList<Selected> selection() const;
    /// Retry, cancel, abort: on tasks.
    QList<QAction *> taskCommands() const { return {m_retry, m_cancel, m_abort}; }
    /// Pause, resume, force open, reset: on the selected tasks' types.
    QList<QAction *> typeCommands() const
    {
        return {m_pause, m_resume, m_forceOpen, m_resetBreaker};
    }

    /// Read-only: every command that changes a task is disabled.
    void setWritable(bool writable);
    /// Ask before acting on several tasks at once.
    void setConfirmBulk(bool on) { m_confirmBulk = on; }
    /// Enables each command as the engine allows for the selection now.
    void update();
    /// How a question about several tasks names them: the first ten ids, then how many more.
    static QString idList(const QList<Selected> &tasks);

Q_SIGNALS:
    /// Something the operator should read; with a task, the notice can select it.
    void notice(const QString &text, const QString &endpoint, const QString &id);
    /// A short confirmation for the status bar.
    void done(const QString &text);
    /// A type was paused or resumed.
    void pausedChanged();
    /// A breaker was forced open or reset: every row of its type reads differently.
    void breakersChanged();

private:
    /// What an operator action's answer does: `done` (with %1 for the id) on success.
    EngineCommands::Done answerFor(const Selected &s, const QString &doneText);
    /// Asks before acting on several tasks, naming them: `question`, then the first ten ids and
    /// how many more. True: go on.
    bool confirm(const QString &question, const QList<Selected> &tasks);
    bool confirmBulk(const QString &what, const QList<Selected> &tasks);

    void retry();
    void cancel();
    void abort();
    void pauseTypes(bool pause);
    void breakerCommand(bool forceOpen);

    const EngineView &m_view;
    EngineCommands &m_commands;
    QTableView *m_table;
    TaskFilterProxy *m_proxy;
    QWidget *m_window;
    bool m_writable = true;
    bool m_confirmBulk = false; ///< as the window's unchecked action starts
    QAction *m_retry;
    QAction *m_cancel;
    QAction *m_abort;
    QAction *m_pause;
    QAction *m_resume;
    QAction *m_forceOpen;
    QAction *m_resetBreaker;
};

} // namespace rebound
