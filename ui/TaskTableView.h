#pragma once

#include <QPersistentModelIndex>
#include <QTableView>

#include <optional>

namespace rebound {

/// The task table as the console shows it: sorted needs-attention first, whole rows selected,
/// state badges, and column widths from what each column typically holds (the last error takes
/// the room that is left).
///
/// Rows stay under the eye: when rows move (a re-sort, rows placed above), the current row —
/// or, without one on screen, the top row — is put back where it was on screen, so a click
/// lands on the row aimed at and reading is not pushed down by new rows.
class TaskTableView final : public QTableView
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TaskTableView)

public:
    /// Shows `model` (the filter proxy over the task table model).
    TaskTableView(QAbstractItemModel *model, QWidget *parent = nullptr);

Q_SIGNALS:
    /// The pointer moved onto the rows (true) or left them (false).
    void pointerOverRows(bool over);

protected:
    bool viewportEvent(QEvent *event) override;
    /// The window losing focus or the table hiding ends the pointing (no Leave may come).
    bool event(QEvent *event) override;

private:
    void rememberAnchor();
    void restoreAnchor();
    /// Rows about to go: if the anchor is one of them (moved to the end to leave), the
    /// scroll goes back to where it was before that move.
    void onRowsLeaving(int first, int last);

    QPersistentModelIndex m_anchor;
    std::optional<int> m_anchorY;       ///< its top on the viewport before the rows moved
    int m_scrollBeforeMove = 0;         ///< the scroll position before the last anchored move
    std::optional<int> m_restoreScroll; ///< put back once the leaving rows are gone
    bool m_pointing = false;
};

} // namespace rebound
