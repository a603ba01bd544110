#include "TaskTableView.h"

#include "StateBadgeDelegate.h"
#include "TaskTableModel.h"

#include <QHeaderView>

namespace rebound {

TaskTableView::TaskTableView(QAbstractItemModel *model, QWidget *parent) : QTableView(parent)
{
    setModel(model); // first: the widths below are set on the model's columns
    setObjectName(QStringLiteral("taskTable"));
    setSortingEnabled(true);
    // Needs attention first, newest first within a state.
    sortByColumn(TaskTableModel::State, Qt::AscendingOrder);
    setSelectionBehavior(QAbstractItemView::SelectRows);
    // Rows are selected whole: Tab moves on to the next pane instead of the next cell.
    setTabKeyNavigation(false);
    setSelectionMode(QAbstractItemView::ExtendedSelection);
    setContextMenuPolicy(Qt::CustomContextMenu);
    setWordWrap(false);
    verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 8);
    verticalHeader()->hide();
    // The last column, the error, gets the room that is left.
    horizontalHeader()->setStretchLastSection(true);
    setItemDelegateForColumn(TaskTableModel::State, new StateBadgeDelegate(this));
    // Widths from what the columns typically hold; the error takes the rest.
    const QFontMetrics fm = fontMetrics();
    const auto fit = [&fm](const QString &sample) { return fm.horizontalAdvance(sample) + 18; };
    setColumnWidth(TaskTableModel::Id, fit(QStringLiteral("tsk-00000000-000")));
    setColumnWidth(TaskTableModel::Type, fit(QStringLiteral("ai.summarize ·")));
    setColumnWidth(TaskTableModel::State, fit(QStringLiteral("deadline exceeded")) + 16);
    setColumnWidth(TaskTableModel::Attempt, fit(QStringLiteral("Attempt")));
    setColumnWidth(TaskTableModel::NextRetry,
                   fit(QStringLiteral(
                       "waiting: pdf.render unhealthy (health score 0.00 ≥ 0.00) until 00:00:00")));
    setColumnWidth(TaskTableModel::Breaker, fit(QStringLiteral("forced open")));
    setColumnWidth(TaskTableModel::Updated, fit(QStringLiteral("00:00:00")));
    setColumnWidth(TaskTableModel::Endpoint, fit(QStringLiteral("tasks.example:8443")));
    setColumnWidth(TaskTableModel::Owner, fit(QStringLiteral("console-host-00000")));
}

} // namespace rebound
