#pragma once

#include <QDateTime>
#include <QListWidget>

namespace rebound {

/// The Notifications dock: every notice, time-stamped, newest last, the last 500 kept. A line
/// that names a task selects it when activated.
class NotificationLog final : public QListWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(NotificationLog)

public:
    explicit NotificationLog(QWidget *parent = nullptr);

    /// A notice at `at` (wall time); with a task (`endpoint`, `id`) the line can select it.
    void add(const QDateTime &at, const QString &text, const QString &endpoint = {},
             const QString &id = {});

Q_SIGNALS:
    void taskActivated(const QString &endpoint, const QString &id);
};

} // namespace rebound
