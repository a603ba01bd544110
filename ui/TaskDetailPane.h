#pragma once

#include "remote/RemoteTask.h"

#include <QWidget>

class QLabel;
class QPushButton;
class QTableWidget;
class QTimer;

namespace rebound {

class EngineView;

/// The attempt timeline of one task: what the service reported for every attempt (read from
/// `/attempts`) next to what Rebound decided after it (from the history) — the delay before and
/// after jitter, or the server's Retry-After — with the lifecycle's events between attempts
/// (deferrals, operator actions, stops), and why it stopped.
class TaskDetailPane final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TaskDetailPane)

public:
    explicit TaskDetailPane(EngineView &view, QWidget *parent = nullptr);
    void showTask(const QString &endpoint, const QString &taskId);
    void clear();

private:
    void fill(const QList<RemoteAttempt> &attempts);
    /// Loads the shown task's attempts again (coalesced): it moved, or the policies did.
    void scheduleReload();
    static QString causeLabel(const QString &cause);
    /// A lifecycle detail key (breaker_open, exhausted, …) as the table says it.
    static QString detailText(const QString &key);
    static QString stopText(const QString &key);

    EngineView &m_view;
    QString m_endpoint;
    QString m_taskId;
    QLabel *m_title;
    QLabel *m_stop;
    QTableWidget *m_table;
    QPushButton *m_copy;
    int m_generation = 0;
    QTimer *m_reload;
};

} // namespace rebound
