#include "TaskTableView.h"

#include "ElideMiddleDelegate.h"
#include "StateBadgeDelegate.h"
#include "TaskTableModel.h"

#include <QEvent>
#include <QHeaderView>
#include <QScrollBar>

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
    setItemDelegateForColumn(TaskTableModel::Id, new ElideMiddleDelegate(this));
    // Widths from what the columns typically hold; the error takes the rest.
    const QFontMetrics fm = fontMetrics();
    const auto fit = [&fm](const QString &sample) { return fm.horizontalAdvance(sample) + 18; };
    setColumnWidth(TaskTableModel::Id, fit(QStringLiteral("tsk-00000000-000")));
    setColumnWidth(TaskTableModel::Type, fit(QStringLiteral("ai.summarize ·")));
    setColumnWidth(TaskTableModel::State, fit(QStringLiteral("deadline exceeded")) + 16);
    setColumnWidth(TaskTableModel::Attempt, fit(QStringLiteral("Attempt")));
    // Most cells hold a time or nothing; a long "waiting: …" is elided, whole in its tooltip,
    // and the room goes to the last error.
    setColumnWidth(TaskTableModel::NextRetry,
                   fit(QStringLiteral("waiting: breaker open until 00:00:00")));
    setColumnWidth(TaskTableModel::Breaker, fit(QStringLiteral("forced open")));
    setColumnWidth(TaskTableModel::Updated, fit(QStringLiteral("00:00:00")));
    setColumnWidth(TaskTableModel::Endpoint, fit(QStringLiteral("tasks.example:8443")));
    setColumnWidth(TaskTableModel::Owner, fit(QStringLiteral("console-host-00000")));
    // Pixels, so a row can be put back exactly where it was.
    setVerticalScrollMode(QAbstractItemView::ScrollPerPixel);
    setMouseTracking(true); // moves without a button pressed say the operator is pointing
    connect(model, &QAbstractItemModel::layoutAboutToBeChanged, this,
            &TaskTableView::rememberAnchor);
    connect(model, &QAbstractItemModel::layoutChanged, this, &TaskTableView::restoreAnchor);
    connect(model, &QAbstractItemModel::rowsAboutToBeRemoved, this,
            [this](const QModelIndex &, int first, int last) { onRowsLeaving(first, last); });
    connect(model, &QAbstractItemModel::rowsRemoved, this, [this] {
        if (m_restoreScroll)
            verticalScrollBar()->setValue(*std::exchange(m_restoreScroll, std::nullopt));
    });
}

bool TaskTableView::event(QEvent *event)
{
    if ((event->type() == QEvent::WindowDeactivate || event->type() == QEvent::Hide) && m_pointing)
        Q_EMIT pointerOverRows(m_pointing = false);
    return QTableView::event(event);
}

bool TaskTableView::viewportEvent(QEvent *event)
{
    // Pointing is moving the pointer over the rows, not a pointer resting where the window
    // opened: the rows are not held before the operator reaches for one.
    if (event->type() == QEvent::MouseMove && !m_pointing)
        Q_EMIT pointerOverRows(m_pointing = true);
    else if (event->type() == QEvent::Leave && m_pointing)
        Q_EMIT pointerOverRows(m_pointing = false);
    return QTableView::viewportEvent(event);
}

void TaskTableView::rememberAnchor()
{
    m_anchorY.reset();
    m_anchor = QPersistentModelIndex();
    QModelIndex anchor = currentIndex();
    const QRect viewport = this->viewport()->rect();
    if (!anchor.isValid() || !viewport.intersects(visualRect(anchor))) {
        // At the very top, rows that arrive above are shown, not scrolled away.
        if (verticalScrollBar()->value() == 0)
            return;
        anchor = indexAt(QPoint(0, 0)); // the top row on screen
    }
    if (!anchor.isValid())
        return;
    m_anchor = anchor;
    m_anchorY = visualRect(anchor).top();
    m_scrollBeforeMove = verticalScrollBar()->value();
}

void TaskTableView::restoreAnchor()
{
    if (!m_anchorY || !m_anchor.isValid())
        return;
    const int moved = visualRect(m_anchor).top() - *m_anchorY;
    if (moved != 0)
        verticalScrollBar()->setValue(verticalScrollBar()->value() + moved);
    m_anchorY.reset();
}

void TaskTableView::onRowsLeaving(int first, int last)
{
    // The filter proxy moves leaving rows to the end, then removes them there: an anchor
    // among them was followed to the end, which is not where the operator was reading.
    if (m_anchor.isValid() && m_anchor.row() >= first && m_anchor.row() <= last) {
        m_anchor = QPersistentModelIndex();
        m_restoreScroll = m_scrollBeforeMove;
    }
}

} // namespace rebound
