#pragma once

#include <QWidget>

class QToolButton;

namespace rebound {

class TaskFilterProxy;
class TaskTableView;

/// Keeps the task table still while an operator works in it. The rows are held in place while
/// the pointer is over them (so a click lands on the row aimed at), and for as long as the
/// operator pauses the live view (the button, or Space in the table). While held, what each
/// row shows and the state counts still change; rows that would move, arrive or leave wait,
/// counted on a button that applies them.
class LiveViewControl final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(LiveViewControl)

public:
    /// Holds `proxy`'s rows while the pointer is over `table`'s; Space in `table` pauses.
    LiveViewControl(TaskFilterProxy *proxy, TaskTableView *table, QWidget *parent = nullptr);

    /// The pointer is over the table's rows.
    void setPointerOver(bool over);
    void setPaused(bool paused);
    bool isPaused() const;
    void togglePaused() { setPaused(!isPaused()); }

private:
    void refresh();

    TaskFilterProxy *m_proxy;
    QToolButton *m_pause;
    QToolButton *m_apply;
    bool m_pointerOver = false;
};

} // namespace rebound
