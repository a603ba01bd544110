#include "NotificationLog.h"

#include "WrappingDelegate.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QScrollBar>
#include <QToolButton>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace rebound {

namespace {

constexpr int kKept = 500;
constexpr int kKeptPerGroup = 200; // a group still counts every task; it lists the newest
constexpr int kGroupLookBack = 50; // a group gathers from the recent lines only
enum Role
{
    EndpointRole = Qt::UserRole,
    IdRole,
    SeverityRole,
    TypeRole,
    GroupRole, ///< group key + the minute
    GroupTextRole,
    StampRole,
    CountRole, ///< a group's tasks, all of them (its lines keep the newest)
};

QString minuteOf(const QDateTime &at)
{
    return at.toLocalTime().toString(QStringLiteral("yyyyMMddHHmm"));
}

} // namespace

NotificationLog::NotificationLog(QWidget *parent)
    : QWidget(parent), m_severity(new QComboBox(this)), m_type(new QComboBox(this)),
      m_tree(new QTreeWidget(this)), m_newEntries(new QToolButton(m_tree))
{
    setObjectName(QStringLiteral("notificationsPane"));
    m_severity->setObjectName(QStringLiteral("notificationSeverity"));
    m_severity->addItem(tr("All news"), int(Severity::Info));
    m_severity->addItem(tr("Important only"), int(Severity::Important));
    m_type->setObjectName(QStringLiteral("notificationType"));
    m_type->addItem(tr("All types"), QString());
    m_type->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_tree->setObjectName(QStringLiteral("notificationLog"));
    m_tree->setHeaderHidden(true);
    m_tree->setColumnCount(1);
    m_tree->setWordWrap(true);
    m_tree->setItemDelegate(new WrappingDelegate(m_tree));
    m_tree->setUniformRowHeights(false);
    m_tree->setRootIsDecorated(true);
    m_tree->header()->setStretchLastSection(true);
    m_tree->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff); // lines wrap instead
    m_tree->setToolTip(tr("What happened, newest last; activate a line to select its task"));
    m_newEntries->setObjectName(QStringLiteral("newEntries"));
    m_newEntries->setText(tr("New entries ↓"));
    m_newEntries->hide();
    auto *filters = new QHBoxLayout;
    filters->setContentsMargins(0, 0, 0, 0);
    filters->addWidget(m_severity);
    filters->addWidget(m_type);
    filters->addStretch(1);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(filters);
    layout->addWidget(m_tree, 1);

    connect(m_tree, &QTreeWidget::itemActivated, this, [this](QTreeWidgetItem *item, int) {
        const QString id = item->data(0, IdRole).toString();
        if (!id.isEmpty())
            Q_EMIT taskActivated(item->data(0, EndpointRole).toString(), id);
    });
    connect(m_severity, &QComboBox::currentIndexChanged, this, [this] { applyFilter(); });
    connect(m_type, &QComboBox::currentIndexChanged, this, [this] { applyFilter(); });
    connect(m_newEntries, &QToolButton::clicked, this, [this] {
        m_tree->scrollToBottom();
        m_newEntries->hide();
    });
    connect(m_tree->verticalScrollBar(), &QScrollBar::valueChanged, this, [this] {
        if (atBottom())
            m_newEntries->hide();
    });
}

NotificationLog::Notice NotificationLog::stopped(const QDateTime &at, const QString &endpoint,
                                                 const QString &id, const QString &type,
                                                 const QString &reason)
{
    return {at,
            tr("%1 stopped retrying: %2").arg(id, reason),
            Severity::Info,
            type,
            endpoint,
            id,
            type + u'\n' + reason,
            tr("%n tasks of %1 stopped retrying: %2").arg(type, reason)};
}

bool NotificationLog::atBottom() const
{
    const QScrollBar *bar = m_tree->verticalScrollBar();
    return bar->value() >= bar->maximum();
}

QTreeWidgetItem *NotificationLog::line(const Notice &n) const
{
    const QString stamp = n.at.toLocalTime().toString(QStringLiteral("HH:mm:ss"));
    auto *item = new QTreeWidgetItem(QStringList{QStringLiteral("%1  %2").arg(stamp, n.text)});
    item->setToolTip(0,
                     n.id.isEmpty() ? n.text : tr("%1\nActivate to select the task.").arg(n.text));
    item->setData(0, EndpointRole, n.endpoint);
    item->setData(0, IdRole, n.id);
    item->setData(0, SeverityRole, int(n.severity));
    item->setData(0, TypeRole, n.type);
    item->setData(0, StampRole, stamp);
    if (n.severity == Severity::Important) {
        QFont bold = m_tree->font();
        bold.setBold(true);
        item->setFont(0, bold);
    } else if (!n.id.isEmpty()) {
        item->setForeground(0, palette().link());
    }
    return item;
}

QTreeWidgetItem *NotificationLog::groupFor(const Notice &n) const
{
    if (n.group.isEmpty())
        return nullptr;
    const QString key = n.group + u'\n' + minuteOf(n.at);
    const int count = m_tree->topLevelItemCount();
    for (int i = count - 1; i >= std::max(0, count - kGroupLookBack); --i)
        if (QTreeWidgetItem *item = m_tree->topLevelItem(i); item->data(0, GroupRole) == key)
            return item;
    return nullptr;
}

void NotificationLog::add(const Notice &n)
{
    const bool follow = atBottom();
    if (!n.type.isEmpty() && m_type->findData(n.type) < 0)
        m_type->addItem(n.type, n.type);
    QTreeWidgetItem *top = nullptr;
    if (QTreeWidgetItem *group = groupFor(n)) {
        if (group->childCount() == 0) { // the first of its kind becomes the group's first task
            QTreeWidgetItem *first = group->clone();
            first->setData(0, GroupRole, QVariant());
            first->setData(0, GroupTextRole, QVariant());
            group->addChild(first);
            group->setData(0, EndpointRole, QVariant());
            group->setData(0, IdRole, QVariant());
        }
        group->addChild(line(n));
        const int tasks = std::max(group->data(0, CountRole).toInt(), 1) + 1;
        group->setData(0, CountRole, tasks);
        while (group->childCount() > kKeptPerGroup)
            delete group->takeChild(0);
        group->setText(0, QStringLiteral("%1  %2").arg(
                              group->data(0, StampRole).toString(),
                              group->data(0, GroupTextRole)
                                  .toString()
                                  .replace(QStringLiteral("%n"), QString::number(tasks))));
        group->setToolTip(
            0, tasks > group->childCount()
                   ? tr("%1 tasks; expand to see the newest %2").arg(tasks).arg(group->childCount())
                   : tr("%n task(s); expand to see each", nullptr, tasks));
        top = group;
    } else {
        top = line(n);
        if (!n.group.isEmpty()) {
            top->setData(0, GroupRole, n.group + u'\n' + minuteOf(n.at));
            top->setData(0, GroupTextRole, n.groupText);
        }
        m_tree->addTopLevelItem(top);
        while (m_tree->topLevelItemCount() > kKept)
            delete m_tree->takeTopLevelItem(0);
    }
    applyFilter(top);
    // Never pulled away from what the operator scrolled up to read.
    if (follow) {
        m_tree->scrollToBottom();
    } else {
        m_newEntries->adjustSize();
        m_newEntries->move(m_tree->viewport()->width() - m_newEntries->width() - 4,
                           m_tree->height() - m_newEntries->height() - 4);
        m_newEntries->show();
        m_newEntries->raise();
    }
}

void NotificationLog::applyFilter()
{
    for (int i = 0; i < m_tree->topLevelItemCount(); ++i)
        applyFilter(m_tree->topLevelItem(i));
}

void NotificationLog::applyFilter(QTreeWidgetItem *item) const
{
    const int least = m_severity->currentData().toInt();
    const QString type = m_type->currentData().toString();
    item->setHidden(item->data(0, SeverityRole).toInt() < least ||
                    (!type.isEmpty() && item->data(0, TypeRole).toString() != type));
}

} // namespace rebound
