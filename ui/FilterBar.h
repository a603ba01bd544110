#pragma once

#include <QList>
#include <QWidget>

class QComboBox;
class QLineEdit;
class QToolButton;

namespace rebound {

class LiveViewControl;
class TaskFilterProxy;
class TaskTableModel;
class TaskTableView;

/// Above the task table: the text filter, the type filter and the count of tasks in each state,
/// in the engine's attention order — each count a filter (a click shows that state, Ctrl+click
/// adds one). The counts follow every batch; the type list follows the types seen.
class FilterBar final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FilterBar)

public:
    FilterBar(TaskTableModel *model, TaskFilterProxy *proxy, TaskTableView *table,
              QWidget *parent = nullptr);

    /// Every filter off (a task asked for is shown whatever was filtered).
    void clear();
    /// Ctrl+F: the text filter, its text selected.
    void focusText();
    /// Pause live view, and the rows held while the pointer is on the table.
    LiveViewControl *liveView() const { return m_liveView; }

protected:
    /// The window's shortcuts (Ctrl+E export, Ctrl+R retry…) work with the filter focused: the
    /// line edit would take them as its own editing keys.
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void updateCounts();
    /// The time filter again from now (the window slides: older rows leave it).
    void applyUpdated();
    void typesChanged();

    TaskTableModel *m_model;
    TaskFilterProxy *m_proxy;
    QLineEdit *m_text = nullptr;
    QComboBox *m_type = nullptr;
    QComboBox *m_updated = nullptr; ///< how recently the service changed the task
    QToolButton *m_allStates = nullptr;
    QList<QToolButton *> m_stateButtons; ///< indexed by TaskState
    LiveViewControl *m_liveView = nullptr;
};

} // namespace rebound
