#include "TaskActions.h"

#include "StateBadgeDelegate.h"
#include "TaskFilterProxy.h"
#include "TaskTableModel.h"

#include <QAction>
#include <QIcon>
#include <QItemSelectionModel>
#include <QKeySequence>
#include <QMessageBox>
#include <QPointer>
#include <QTableView>

#include <algorithm>

namespace rebound {

namespace {

QAction *makeAction(QObject *parent, const QString &name, const QString &text, const QString &icon,
                    const QKeySequence &key)
{
    auto *a = new QAction(text, parent);
    a->setIcon(QIcon(QStringLiteral(":/rebound/icons/%1.svg").arg(icon)));
    a->setObjectName(name);
    if (!key.isEmpty())
        a->setShortcut(key);
    return a;
}

} // namespace

TaskActions::TaskActions(const EngineView &view, EngineCommands &commands, QTableView *table,
                         TaskFilterProxy *proxy, QWidget *window)
    : QObject(window), m_view(view), m_commands(commands), m_table(table), m_proxy(proxy),
      m_window(window), m_retry(makeAction(this, QStringLiteral("retryNowAction"), tr("Retry now"),
                                           QStringLiteral("retry"), QKeySequence(tr("Ctrl+R")))),
      m_cancel(makeAction(this, QStringLiteral("cancelRetriesAction"), tr("Cancel retries"),
                          QStringLiteral("cancel"), QKeySequence(tr("Ctrl+Shift+C")))),
      m_abort(makeAction(this, QStringLiteral("abortAttemptAction"), tr("Abort running attempt"),
                         QStringLiteral("cancel"), QKeySequence(tr("Ctrl+Shift+A")))),
      m_pause(makeAction(this, QStringLiteral("pauseTypeAction"), tr("Pause auto-retry for type"),
                         QStringLiteral("pause"), QKeySequence(tr("Ctrl+Shift+P")))),
      m_resume(makeAction(this, QStringLiteral("resumeTypeAction"),
                          tr("Resume auto-retry for type"), QStringLiteral("resume"),
                          QKeySequence(tr("Ctrl+Shift+R")))),
      m_forceOpen(makeAction(this, QStringLiteral("forceOpenAction"), tr("Force breaker open"),
                             QStringLiteral("breaker"), {})),
      m_resetBreaker(makeAction(this, QStringLiteral("resetBreakerAction"), tr("Reset breaker"),
                                QStringLiteral("breaker-reset"), {}))
{
    // Short words on the toolbar (a laptop's width holds them all); the menus say it in full.
    m_retry->setIconText(tr("Retry"));
    m_cancel->setIconText(tr("Cancel"));
    m_abort->setIconText(tr("Abort"));
    m_pause->setIconText(tr("Pause type"));
    m_resume->setIconText(tr("Resume type"));
    m_forceOpen->setIconText(tr("Open breaker"));
    m_resetBreaker->setIconText(tr("Reset breaker"));
    // Every action says what it does (the toolbar and the menus show it on hover).
    m_pause->setToolTip(tr("Stop starting automatic retries of the selected tasks' types until "
                           "resumed (running attempts go on)"));
    m_resume->setToolTip(tr("Start automatic retries of the selected tasks' types again"));
    m_forceOpen->setToolTip(tr("Open the breaker of the selected tasks' types: no retries until "
                               "reset (asks first)"));
    m_resetBreaker->setToolTip(tr("Close the breaker of the selected tasks' types and forget its "
                                  "window (asks first)"));
    connect(m_retry, &QAction::triggered, this, &TaskActions::retry);
    connect(m_cancel, &QAction::triggered, this, &TaskActions::cancel);
    connect(m_abort, &QAction::triggered, this, &TaskActions::abort);
    connect(m_pause, &QAction::triggered, this, [this] { pauseTypes(true); });
    connect(m_resume, &QAction::triggered, this, [this] { pauseTypes(false); });
    connect(m_forceOpen, &QAction::triggered, this, [this] { breakerCommand(true); });
    connect(m_resetBreaker, &QAction::triggered, this, [this] { breakerCommand(false); });
}

void TaskActions::setWritable(bool writable)
{
    m_writable = writable;
    update();
}

QList<TaskActions::Selected> TaskActions::selection() const
{
    QList<Selected> out;
    for (const QModelIndex &i : m_table->selectionModel()->selectedRows()) {
        const QModelIndex s = m_proxy->mapToSource(i);
        out.append({s.data(TaskTableModel::EndpointRole).toString(),
                    s.data(TaskTableModel::TaskIdRole).toString(),
                    s.data(TaskTableModel::TypeRole).toString(),
                    static_cast<TaskState>(s.data(TaskTableModel::StateRole).toInt())});
    }
    return out;
}

void TaskActions::update()
{
    const auto sel = selection();
    const bool writable = m_writable;
    const auto any = [&sel](auto pred) { return std::any_of(sel.begin(), sel.end(), pred); };
    // The engine says what is possible, and why not: the tooltip of a disabled action tells.
    const EngineView &o = m_view;
    const auto enable = [&](QAction *action, const QString &label,
                            QString (EngineView::*why)(const QString &, const QString &) const) {
        QString reason = sel.isEmpty() ? tr("Select one or more tasks.") : QString();
        bool possible = false;
        for (const Selected &s : sel) {
            const QString w = (o.*why)(s.endpoint, s.id);
            possible = possible || w.isEmpty();
            if (!w.isEmpty() && reason.isEmpty())
                reason = w;
        }
        action->setEnabled(writable && possible);
        action->setToolTip(possible || !writable ? label : label + u'\n' + reason);
    };
    enable(m_retry, tr("Retry now (also brings back exhausted and cancelled tasks)"),
           &EngineView::whyNotRetry);
    enable(m_cancel, tr("Cancel retries"), &EngineView::whyNotCancel);
    enable(m_abort, tr("Abort the running attempt (ends it as a timeout)"),
           &EngineView::whyNotAbort);
    m_pause->setEnabled(writable &&
                        any([this](const Selected &s) { return !m_view.isPaused(s.type); }));
    m_resume->setEnabled(writable &&
                         any([this](const Selected &s) { return m_view.isPaused(s.type); }));
    m_forceOpen->setEnabled(writable && !sel.isEmpty());
    m_resetBreaker->setEnabled(writable && !sel.isEmpty());
}

EngineCommands::Done TaskActions::answerFor(const Selected &s, const QString &doneText)
{
    // The answer may come after the window closed: it checks first. A refusal is a notice (with
    // the task, in the log); success a status-bar line ("%1" is the task id).
    return [w = QPointer<TaskActions>(this), endpoint = s.endpoint, id = s.id,
            doneText](Result<void> r) {
        if (!w)
            return;
        if (!r)
            Q_EMIT w->notice(tr("%1: %2").arg(id, r.error().message), endpoint, id);
        else
            Q_EMIT w->done(doneText.arg(id));
    };
}

QString TaskActions::idList(const QList<Selected> &tasks)
{
    constexpr int kShown = 10;
    QStringList ids;
    for (qsizetype i = 0; i < std::min<qsizetype>(kShown, tasks.size()); ++i)
        ids << tasks[i].id;
    QString out = ids.join(QStringLiteral(", "));
    if (tasks.size() > kShown)
        out += tr(" and %n more", nullptr, int(tasks.size() - kShown));
    return out;
}

bool TaskActions::confirm(const QString &question, const QList<Selected> &tasks)
{
    QMessageBox box(QMessageBox::Question, tr("Rebound"), question,
                    QMessageBox::Yes | QMessageBox::No, m_window);
    box.setObjectName(QStringLiteral("bulkConfirm"));
    box.setInformativeText(idList(tasks));
    return box.exec() == QMessageBox::Yes;
}

bool TaskActions::confirmBulk(const QString &what, const QList<Selected> &tasks)
{
    if (tasks.size() < 2 || !m_confirmBulk)
        return true;
    return confirm(tr("%1 for %2 tasks?").arg(what).arg(tasks.size()), tasks);
}

void TaskActions::retry()
{
    QList<Selected> sel = selection();
    const EngineView &o = m_view;
    sel.erase(std::remove_if(
                  sel.begin(), sel.end(),
                  [&o](const Selected &s) { return !o.whyNotRetry(s.endpoint, s.id).isEmpty(); }),
              sel.end());
    const auto dead = std::count_if(sel.cbegin(), sel.cend(), [](const Selected &s) {
        return s.state == TaskState::Exhausted || s.state == TaskState::Cancelled;
    });
    if (sel.isEmpty())
        return;
    // Bringing back several dead tasks restarts their whole allowance: always ask.
    if (dead >= 2) {
        QList<Selected> dying;
        std::copy_if(sel.cbegin(), sel.cend(), std::back_inserter(dying), [](const Selected &s) {
            return s.state == TaskState::Exhausted || s.state == TaskState::Cancelled;
        });
        if (!confirm(tr("Bring back %1 exhausted or cancelled tasks? Each gets a fresh "
                        "allowance of attempts under its policy.")
                         .arg(dead),
                     dying))
            return;
    }
    if (dead < 2 && !confirmBulk(tr("Retry now"), sel))
        return;
    for (const Selected &s : sel) {
        m_commands.retryNow(s.endpoint, s.id, answerFor(s, tr("%1: next attempt started")));
    }
}

void TaskActions::abort()
{
    const QList<Selected> sel = selection();
    if (sel.isEmpty() || !confirmBulk(tr("Abort running attempts"), sel))
        return;
    for (const Selected &s : sel) {
        m_commands.abortAttempt(s.endpoint, s.id, answerFor(s, tr("%1: attempt aborted")));
    }
}

void TaskActions::cancel()
{
    const QList<Selected> sel = selection();
    if (sel.isEmpty() || !confirmBulk(tr("Cancel retries"), sel))
        return;
    for (const Selected &s : sel) {
        m_commands.cancelRetries(s.endpoint, s.id, answerFor(s, tr("%1: cancelled")));
    }
}

void TaskActions::pauseTypes(bool pause)
{
    QStringList types;
    for (const Selected &s : selection())
        if (!types.contains(s.type))
            types << s.type;
    for (const QString &t : types)
        m_commands.setPaused(t, pause);
    Q_EMIT notice(
        (pause ? tr("Automatic retries paused for %1") : tr("Automatic retries resumed for %1"))
            .arg(types.join(QStringLiteral(", "))),
        {}, {});
    Q_EMIT pausedChanged();
    update();
}

void TaskActions::breakerCommand(bool forceOpen)
{
    QList<QPair<QString, QString>> keys;
    for (const Selected &s : selection())
        if (!keys.contains(qMakePair(s.endpoint, s.type)))
            keys.append({s.endpoint, s.type});
    if (keys.isEmpty())
        return;
    QStringList types;
    for (const auto &k : keys)
        types << k.second;
    types.removeDuplicates();
    const QString list = types.join(QStringLiteral(", "));
    // Both change what every task of the type may do: always ask.
    const QString question =
        forceOpen ? tr("Force the breaker of %1 open? No retry of this type starts until it is "
                       "reset.")
                        .arg(list)
                  : tr("Reset the breaker of %1? Its window is forgotten and retries start "
                       "again at once.")
                        .arg(list);
    QMessageBox box(QMessageBox::Question, tr("Rebound"), question,
                    QMessageBox::Yes | QMessageBox::No, m_window);
    box.setObjectName(QStringLiteral("breakerConfirm"));
    if (box.exec() != QMessageBox::Yes)
        return;
    QStringList outcome;
    for (const auto &k : keys) {
        m_commands.commandBreaker(k.first, k.second,
                                  forceOpen ? BreakerCommand::ForceOpen : BreakerCommand::Reset);
        outcome << tr("%1 is now %2")
                       .arg(k.second,
                            StateBadgeDelegate::tierLabel(m_view.breakerHealth(k.first, k.second)));
    }
    Q_EMIT notice((forceOpen ? tr("Breaker forced open: %1") : tr("Breaker reset: %1"))
                      .arg(outcome.join(QStringLiteral("; "))),
                  {}, {});
    Q_EMIT breakersChanged();
}

} // namespace rebound
