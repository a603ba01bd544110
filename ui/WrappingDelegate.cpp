#include "WrappingDelegate.h"

#include <QApplication>
#include <QEvent>
#include <QTreeView>

namespace rebound {

WrappingDelegate::WrappingDelegate(QTreeView *view)
    : QStyledItemDelegate(view), m_view(view), m_viewport(view->viewport())
{
    m_viewport->installEventFilter(this);
}

QSize WrappingDelegate::sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    QStyleOptionViewItem o = option;
    initStyleOption(&o, index);
    int depth = 0;
    for (QModelIndex p = index.parent(); p.isValid(); p = p.parent())
        ++depth;
    o.features |= QStyleOptionViewItem::WrapText;
    // A valid rect, or the style measures the text on one unbounded line.
    o.rect =
        QRect(0, 0, std::max(40, m_view->viewport()->width() - m_view->indentation() * (depth + 1)),
              1 << 16);
    const QStyle *style = o.widget ? o.widget->style() : QApplication::style();
    return style->sizeFromContents(QStyle::CT_ItemViewItem, &o, QSize(), o.widget);
}

bool WrappingDelegate::eventFilter(QObject *watched, QEvent *event)
{
    if (event->type() == QEvent::Resize && watched == m_viewport)
        m_view->doItemsLayout(); // the heights follow the new width
    return QStyledItemDelegate::eventFilter(watched, event);
}

} // namespace rebound
