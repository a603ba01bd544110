#pragma once

#include <QStyledItemDelegate>

class QTreeView;

namespace rebound {

/// Rows of a one-column tree as tall as their text wrapped to the width the view gives them
/// (a tree's own size hint measures one line, then elides).
class WrappingDelegate final : public QStyledItemDelegate
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(WrappingDelegate)

public:
    /// Lays the rows out again whenever `view`'s width changes.
    explicit WrappingDelegate(QTreeView *view);

    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override;

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    QTreeView *m_view;
    /// The view's viewport, kept: the filter compares with it without asking the view, which
    /// may be half destroyed when its viewport's last events arrive.
    QWidget *m_viewport;
};

} // namespace rebound
