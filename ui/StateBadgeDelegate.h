#pragma once

#include "TaskState.h"

#include <QStyledItemDelegate>

namespace rebound {

/// Paints the state column as a coloured badge that reads well on light and dark palettes.
class StateBadgeDelegate final : public QStyledItemDelegate
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(StateBadgeDelegate)

public:
    using QStyledItemDelegate::QStyledItemDelegate;
    void paint(QPainter *painter, const QStyleOptionViewItem &option,
               const QModelIndex &index) const override;
    static QColor colorFor(TaskState state);
};

} // namespace rebound
