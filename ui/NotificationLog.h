#pragma once

#include <QDateTime>
#include <QWidget>

class QComboBox;
class QToolButton;
class QTreeWidget;
class QTreeWidgetItem;

namespace rebound {

/// The Notifications dock: what happened, newest last, the last 500 entries kept.
/// - Each entry has a severity: what changes the whole console (policies, breakers, the config
///   centre) is Important and stands out; per-task news is Info.
/// - Repeated per-task news groups: the same kind of news about tasks of one type within one
///   minute is one line ("37 tasks of pdf.render stopped retrying: deadline exceeded") that
///   expands to a line per task.
/// - A filter by severity and by type; lines wrap.
/// - It never scrolls while the operator has scrolled up to read: a "new entries" button says
///   more came, and takes them there.
/// A line that names a task selects it when activated.
class NotificationLog final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(NotificationLog)

public:
    enum class Severity
    {
        Info,
        Important
    };
    struct Notice
    {
        QDateTime at;
        QString text;
        Severity severity = Severity::Info;
        QString type;     ///< the task type it is about (empty: none)
        QString endpoint; ///< with `id`: the task it names
        QString id;
        /// Notices with the same group within a minute become one line reading `groupText`
        /// ("%n tasks of …", %n the count); empty: never grouped.
        QString group;
        QString groupText;
    };

    explicit NotificationLog(QWidget *parent = nullptr);

    /// "tsk-1 stopped retrying: deadline exceeded", grouped with the others of its type and
    /// reason ("37 tasks of pdf.render stopped retrying: …").
    static Notice stopped(const QDateTime &at, const QString &endpoint, const QString &id,
                          const QString &type, const QString &reason);

    void add(const Notice &notice);
    /// The entries (objectName "notificationLog"): a line per notice or group, a group's tasks
    /// below it.
    QTreeWidget *entries() const { return m_tree; }

Q_SIGNALS:
    void taskActivated(const QString &endpoint, const QString &id);

private:
    QTreeWidgetItem *line(const Notice &n) const;
    /// The recent group line `n` joins, if any.
    QTreeWidgetItem *groupFor(const Notice &n) const;
    void applyFilter();
    void applyFilter(QTreeWidgetItem *item) const;
    bool atBottom() const;

    QComboBox *m_severity;
    QComboBox *m_type;
    QTreeWidget *m_tree;
    QToolButton *m_newEntries;
};

} // namespace rebound
