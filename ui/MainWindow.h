#pragma once

#include "PolicyEditorDialog.h"
#include "engine/EngineAccess.h"
#include "engine/TaskState.h"

#include <QMainWindow>

#include <functional>
#include <memory>

class QAction;
class QComboBox;
class QLabel;
class QLineEdit;
class QTreeWidget;
class QTableView;
class QToolButton;

namespace rebound {

class CredentialStore;
class FilterBar;
class FleetPane;
class NoticeBanner;
class NotificationLog;

class ChartsPane;
struct PolicySet;
class TaskActions;
class TaskDetailPane;
class TaskFilterProxy;
class TaskTableModel;
class TaskTableView;
struct EndpointStatus;

/// The operator console: live task table with filters, actions, attempt timeline, charts,
/// per-endpoint status, policy editor and CSV export.
class MainWindow final : public QMainWindow
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MainWindow)

public:
    MainWindow(const EngineAccess &engine, const QString &subtitle, QWidget *parent = nullptr);
    ~MainWindow() override;

    TaskTableModel *model() const { return m_model; }
    TaskFilterProxy *proxy() const { return m_proxy; }
    /// Turns the "are you sure?" question for bulk actions on or off (also in the View menu).
    void setConfirmBulkActions(bool on);

    /// Fleet mode: the Fleet dock (tabbed with Attempts), and the policy editor publishes to
    /// the config centre through `publisher` instead of applying here.
    void setFleet(FleetPane *fleetPane, PolicyEditorDialog::Publisher publisher);

    /// The notices so far, newest last (also shown in the Notifications dock).
    QTreeWidget *notificationLog() const;

protected:
    void closeEvent(QCloseEvent *event) override;
    void showEvent(QShowEvent *event) override;

private:
    void buildActions();
    /// Action enablement follows the engine: at most once per event-loop turn.
    void scheduleUpdateActions();
    void updateEndpointColumn();
    void updatePausedBadge();
    void restoreLayout();
    /// A notice for the operator: the banner over the table and a line in the log. With a
    /// task, the log line selects it when activated.
    void showNotice(const QString &text, const QString &endpoint = {}, const QString &id = {});
    void selectTask(const QString &endpoint, const QString &id);
    void openPolicyEditor();
    void openExport();
    void openEndpoints();
    void forgetEndpoint();
    void about();

    EngineAccess m_engine;
    TaskTableModel *m_model;
    TaskFilterProxy *m_proxy;
    TaskTableView *m_table = nullptr;
    FilterBar *m_filters = nullptr;
    TaskDetailPane *m_detail;
    ChartsPane *m_charts;
    NoticeBanner *m_notice = nullptr;
    NotificationLog *m_log;
    QLabel *m_readOnlyBadge;
    QLabel *m_pausedBadge;
    bool m_actionsQueued = false;
    std::shared_ptr<const PolicySet> m_appliedPolicies; ///< to name what a new version changed
    std::function<void()> m_defaultSplit;               ///< applied once, after the first show
    CredentialStore *m_credentials;
    TaskActions *m_actions = nullptr;
    QAction *m_readOnly = nullptr;
    QAction *m_confirm = nullptr;
    QAction *m_export = nullptr;
    QAction *m_policies = nullptr;
    PolicyEditorDialog::Publisher m_publisher;
};

} // namespace rebound
