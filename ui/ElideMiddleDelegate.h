#pragma once

#include <QStyledItemDelegate>

namespace rebound {

/// Cells that elide in the middle: an id keeps its start and its distinguishing end
/// ("tsk-4f1c…170-3"), where eliding at the right would cut what tells two ids apart.
class ElideMiddleDelegate final : public QStyledItemDelegate
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ElideMiddleDelegate)

public:
    using QStyledItemDelegate::QStyledItemDelegate;

protected:
    void initStyleOption(QStyleOptionViewItem *option, const QModelIndex &index) const override
    {
        QStyledItemDelegate::initStyleOption(option, index);
        option->textElideMode = Qt::ElideMiddle;
    }
};

} // namespace rebound
