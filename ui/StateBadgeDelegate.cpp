#include "StateBadgeDelegate.h"

#include <QApplication>
#include <QPainter>
#include <QPainterPath>

namespace rebound {

QColor StateBadgeDelegate::colorFor(const QString &state)
{
    if (state == QLatin1String("succeeded"))
        return QColor(0x2e, 0x9d, 0x57);
    if (state == QLatin1String("running"))
        return QColor(0x2f, 0x80, 0xed);
    if (state == QLatin1String("retry scheduled"))
        return QColor(0xe0, 0x8e, 0x0b);
    if (state == QLatin1String("deferred"))
        return QColor(0x9b, 0x59, 0xb6);
    if (state == QLatin1String("exhausted") || state == QLatin1String("failed"))
        return QColor(0xd6, 0x3b, 0x3b);
    return QColor(0x80, 0x80, 0x80);
}

void StateBadgeDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option,
                               const QModelIndex &index) const
{
    QStyleOptionViewItem opt(option);
    initStyleOption(&opt, index);
    const QString text = opt.text;
    opt.text.clear();
    QApplication::style()->drawControl(QStyle::CE_ItemViewItem, &opt, painter, opt.widget);
    if (text.isEmpty())
        return;
    painter->save();
    painter->setRenderHint(QPainter::Antialiasing);
    const QFontMetrics fm(opt.font);
    const int w = fm.horizontalAdvance(text) + 14;
    const QRect r(opt.rect.left() + 4, opt.rect.center().y() - fm.height() / 2 - 1, w,
                  fm.height() + 2);
    QPainterPath path;
    path.addRoundedRect(r, r.height() / 2.0, r.height() / 2.0);
    painter->fillPath(path, colorFor(text));
    painter->setPen(Qt::white);
    painter->drawText(r, Qt::AlignCenter, text);
    painter->restore();
}

} // namespace rebound
