#include "StateBadgeDelegate.h"

#include "TaskTableModel.h"

#include <QApplication>
#include <QPainter>
#include <QPainterPath>

namespace rebound {

QColor StateBadgeDelegate::colorFor(TaskState state, std::optional<StopReason> ending)
{
    if (state == TaskState::Exhausted && ending) {
        switch (*ending) {
        case StopReason::DeadlineExceeded:
            return QColor(0xa9, 0x32, 0x6e); // plum
        case StopReason::NotRetryable:
            return QColor(0x6d, 0x2c, 0x2c); // dark brown-red
        case StopReason::Exhausted:
        case StopReason::Cancelled:
            break;
        }
    }
    switch (state) {
    case TaskState::Succeeded:
        return QColor(0x2e, 0x9d, 0x57);
    case TaskState::Running:
        return QColor(0x2f, 0x80, 0xed);
    case TaskState::RetryScheduled:
        return QColor(0xe0, 0x8e, 0x0b);
    case TaskState::Deferred:
        return QColor(0x9b, 0x59, 0xb6);
    case TaskState::TimedOut:
        return QColor(0xc0, 0x56, 0x1a);
    case TaskState::Exhausted:
        return QColor(0xb0, 0x1e, 0x2f); // deep red: retries are over
    case TaskState::Failed:
        return QColor(0xe8, 0x5d, 0x4a); // lighter red: a moment before the decision
    case TaskState::Cancelled:
        return QColor(0x55, 0x5f, 0x6b); // slate: an operator's ending
    case TaskState::Pending:
        break;
    }
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
    const int ending = index.data(TaskTableModel::EndingRole).toInt();
    painter->fillPath(
        path, colorFor(static_cast<TaskState>(index.data(TaskTableModel::StateRole).toInt()),
                       ending >= 0 ? std::optional(StopReason(ending)) : std::nullopt));
    painter->setPen(Qt::white);
    painter->drawText(r, Qt::AlignCenter, text);
    painter->restore();
}

QString StateBadgeDelegate::tierLabel(BreakerHealth health)
{
    switch (health) {
    case BreakerHealth::Healthy:
        return tr("healthy");
    case BreakerHealth::Degraded:
        return tr("degraded");
    case BreakerHealth::HalfOpen:
        return tr("half-open");
    case BreakerHealth::Open:
        return tr("open");
    case BreakerHealth::ForcedOpen:
        return tr("forced open");
    case BreakerHealth::Disabled:
        return tr("no breaker");
    }
    return {};
}

QColor StateBadgeDelegate::tierColor(BreakerHealth health)
{
    switch (health) {
    case BreakerHealth::Healthy:
        return QColor(0x2e, 0x9d, 0x57);
    case BreakerHealth::Degraded:
        return QColor(0xe0, 0x8e, 0x0b);
    case BreakerHealth::HalfOpen:
        return QColor(0x2f, 0x80, 0xed);
    case BreakerHealth::Open:
        return QColor(0xd6, 0x3b, 0x3b);
    case BreakerHealth::ForcedOpen:
        return QColor(0x8e, 0x1b, 0x1b);
    case BreakerHealth::Disabled:
        break;
    }
    return QColor(0x80, 0x80, 0x80);
}

} // namespace rebound
