#include "NotificationLog.h"

namespace rebound {

NotificationLog::NotificationLog(QWidget *parent) : QListWidget(parent)
{
    setObjectName(QStringLiteral("notificationLog"));
    setToolTip(tr("What happened, newest last; activate a line to select its task"));
    connect(this, &QListWidget::itemActivated, this, [this](QListWidgetItem *item) {
        const QString id = item->data(Qt::UserRole + 1).toString();
        if (!id.isEmpty())
            Q_EMIT taskActivated(item->data(Qt::UserRole).toString(), id);
    });
}

void NotificationLog::add(const QDateTime &at, const QString &text, const QString &endpoint,
                          const QString &id)
{
    constexpr int kKept = 500;
    const QString stamp = at.toLocalTime().toString(QStringLiteral("HH:mm:ss"));
    auto *item = new QListWidgetItem(QStringLiteral("%1  %2").arg(stamp, text));
    item->setToolTip(id.isEmpty() ? text : tr("%1\nActivate to select the task.").arg(text));
    item->setData(Qt::UserRole, endpoint);
    item->setData(Qt::UserRole + 1, id);
    if (!id.isEmpty())
        item->setForeground(palette().link());
    addItem(item);
    while (count() > kKept)
        delete takeItem(0);
    scrollToBottom();
}

} // namespace rebound
