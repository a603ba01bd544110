#pragma once

#include <QTableView>

namespace rebound {

/// The task table as the console shows it: sorted needs-attention first, whole rows selected,
/// state badges, and column widths from what each column typically holds (the last error takes
/// the room that is left).
class TaskTableView final : public QTableView
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TaskTableView)

public:
    /// Shows `model` (the filter proxy over the task table model).
    TaskTableView(QAbstractItemModel *model, QWidget *parent = nullptr);
};

} // namespace rebound
