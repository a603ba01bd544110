#include "MainWindow.h"

#include "ChartsPane.h"
#include "CredentialStore.h"
#include "EndpointStatusBar.h"
#include "EndpointsDialog.h"
#include "ExportDialog.h"
#include "FilterBar.h"
#include "FleetPane.h"
#include "NoticeBanner.h"
#include "NotificationLog.h"
#include "PolicyEditorDialog.h"
#include "StateBadgeDelegate.h"
#include "StatesHelpDialog.h"
#include "TaskActions.h"
#include "TaskDetailPane.h"
#include "TaskFilterProxy.h"
#include "TaskRowText.h"
#include "TaskTableModel.h"
#include "TaskTableView.h"
#include "policy/PolicySet.h"
#include "policy/PolicyStore.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDockWidget>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QScreen>
#include <QSettings>
#include <QStatusBar>
#include <QTableView>
#include <QTextBrowser>
#include <QTimer>
#include <QToolBar>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>
#include <array>

namespace rebound {

MainWindow::MainWindow(const EngineAccess &engine, const QString &subtitle, QWidget *parent)
    : QMainWindow(parent), m_engine(engine),
      m_model(new TaskTableModel(engine.view, engine.clock, this)),
      m_proxy(new TaskFilterProxy(this)), m_detail(new TaskDetailPane(engine.view, this)),
      m_charts(new ChartsPane(engine.view, engine.clock, this)), m_log(new NotificationLog(this)),
      m_readOnlyBadge(new QLabel(tr("READ-ONLY"), this)), m_pausedBadge(new QLabel(this)),
      m_credentials(new CredentialStore(this))
{
    setObjectName(QStringLiteral("mainWindow"));
    setWindowTitle(subtitle.isEmpty() ? tr("Rebound") : tr("Rebound — %1").arg(subtitle));
    setWindowIcon(QIcon(QStringLiteral(":/rebound/icons/rebound.svg")));

    m_proxy->setSourceModel(m_model);
    m_table = new TaskTableView(m_proxy, this);
    auto *central = new QWidget(this);
    auto *layout = new QVBoxLayout(central);
    layout->setContentsMargins(4, 4, 4, 4);
    m_filters = new FilterBar(m_model, m_proxy, m_table, central);
    layout->addWidget(m_filters);
    layout->addWidget(m_table, 1);
    m_notice = new NoticeBanner(central);
    layout->addWidget(m_notice);
    setCentralWidget(central);

    auto *detailDock = new QDockWidget(tr("Attempts"), this);
    detailDock->setObjectName(QStringLiteral("detailDock"));
    detailDock->setWidget(m_detail);
    addDockWidget(Qt::BottomDockWidgetArea, detailDock);
    auto *logDock = new QDockWidget(tr("Notifications"), this);
    logDock->setObjectName(QStringLiteral("notificationsDock"));
    logDock->setWidget(m_log);
    addDockWidget(Qt::BottomDockWidgetArea, logDock);
    splitDockWidget(detailDock, logDock, Qt::Horizontal);
    auto *chartsDock = new QDockWidget(tr("Charts"), this);
    chartsDock->setObjectName(QStringLiteral("chartsDock"));
    chartsDock->setWidget(m_charts);
    // On a wide screen the charts sit beside the table; on a laptop the table needs the width,
    // so they share the bottom with the Attempts pane (a tab each) and lie side by side there.
    const QRect avail = screen() ? screen()->availableGeometry() : QRect(0, 0, 1280, 800);
    // Wide screen: the charts take the right edge top to bottom; laptop: the bottom docks span.
    setCorner(Qt::BottomRightCorner,
              avail.width() >= 1600 ? Qt::RightDockWidgetArea : Qt::BottomDockWidgetArea);
    connect(chartsDock, &QDockWidget::dockLocationChanged, m_charts, [this](Qt::DockWidgetArea a) {
        m_charts->setWide(a == Qt::BottomDockWidgetArea || a == Qt::TopDockWidgetArea);
    });
    if (avail.width() >= 1600) {
        addDockWidget(Qt::RightDockWidgetArea, chartsDock);
        resizeDocks({chartsDock}, {440}, Qt::Horizontal);
    } else {
        addDockWidget(Qt::BottomDockWidgetArea, chartsDock);
        tabifyDockWidget(detailDock, chartsDock);
        detailDock->raise();
    }
    m_defaultSplit = [this, detailDock, logDock, avail] {
        resizeDocks({detailDock, logDock}, {width() * 2 / 3, width() / 3}, Qt::Horizontal);
        // Room for eight attempts in the Attempts pane; the table keeps the rest.
        const int h = std::min(avail.height() * 2 / 5, 330);
        resizeDocks({logDock}, {h}, Qt::Vertical);
    };
    connect(m_log, &NotificationLog::taskActivated, this, &MainWindow::selectTask);

    m_readOnlyBadge->setObjectName(QStringLiteral("readOnlyBadge"));
    m_readOnlyBadge->setStyleSheet(QStringLiteral(
        "QLabel { color: white; background: #d63b3b; padding: 1px 6px; border-radius: 3px; }"));
    m_readOnlyBadge->hide();
    statusBar()->addPermanentWidget(m_readOnlyBadge);
    m_pausedBadge->setObjectName(QStringLiteral("pausedBadge"));
    m_pausedBadge->setStyleSheet(QStringLiteral(
        "QLabel { color: white; background: #9b59b6; padding: 1px 6px; border-radius: 3px; }"));
    m_pausedBadge->hide();
    statusBar()->addPermanentWidget(m_pausedBadge);

    m_actions = new TaskActions(m_engine.view, m_engine.commands, m_table, m_proxy, this);
    connect(m_actions, &TaskActions::notice, this,
            [this](const QString &text, const QString &endpoint, const QString &id) {
                showNotice(text, endpoint, id);
            });
    connect(m_actions, &TaskActions::done, this,
            [this](const QString &text) { statusBar()->showMessage(text, 4000); });
    connect(m_actions, &TaskActions::pausedChanged, this, &MainWindow::updatePausedBadge);
    connect(m_actions, &TaskActions::breakersChanged, m_model, &TaskTableModel::refreshAll);
    buildActions();
    connect(m_table, &QTableView::customContextMenuRequested, this, [this](const QPoint &pos) {
        QMenu menu(this);
        menu.addActions(m_actions->taskCommands());
        menu.addSeparator();
        menu.addActions(m_actions->typeCommands());
        menu.exec(m_table->viewport()->mapToGlobal(pos));
    });
    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
        m_actions->update();
        const auto sel = m_actions->selection();
        if (sel.size() == 1)
            m_detail->showTask(sel.first().endpoint, sel.first().id);
        else
            m_detail->clear();
    });
    // A selected task that changes state changes what can be done with it.
    connect(m_proxy, &QAbstractItemModel::dataChanged, this, &MainWindow::scheduleUpdateActions);
    connect(m_proxy, &QAbstractItemModel::layoutChanged, this, &MainWindow::scheduleUpdateActions);
    // One entry per endpoint in the status bar (permanent: temporary messages never hide it).
    auto *endpointStatus = new EndpointStatusBar(m_engine.view, m_engine.clock, statusBar());
    connect(&m_engine.view, &EngineView::endpointStatusChanged, endpointStatus,
            &EndpointStatusBar::show);
    connect(&m_engine.view, &EngineView::endpointRemoved, this,
            [this, endpointStatus](const QString &endpoint) {
                endpointStatus->remove(endpoint);
                updateEndpointColumn();
            });
    connect(&m_engine.view, &EngineView::notice, this,
            [this](const QString &endpoint, const QString &id, const QString &message) {
                showNotice(tr("%1: %2").arg(id, message), endpoint, id);
            });
    connect(&m_engine.view, &EngineView::breakerTransition, this,
            [this](const QString &, const QString &type, const BreakerTransition &t) {
                if (t.to == BreakerHealth::Open)
                    showNotice(tr("Breaker for %1 opened: %2").arg(type, t.cause));
            });
    connect(&m_engine.view, &EngineView::taskStopped, this,
            [this](const QString &endpoint, const QString &id, StopReason r) {
                const auto row = m_engine.view.row(TaskRow::keyOf(endpoint, id));
                const auto n = NotificationLog::stopped(m_engine.clock.wallNow(), endpoint, id,
                                                        row ? row->remote.type : QString(),
                                                        TaskRowText::stopLabel(r));
                statusBar()->showMessage(n.text, 5000);
                m_log->add(n);
                m_notice->showText(n.text);
            });
    // "policy sms v4 applied": the notice names the policies the new version changed.
    connect(&m_engine.policies, &PolicyStore::policiesChanged, this, [this](int version) {
        const auto now = m_engine.policies.current();
        QStringList changed;
        for (const RetryPolicy &p : now->policies) {
            const RetryPolicy *was =
                m_appliedPolicies ? m_appliedPolicies->byName(p.name) : nullptr;
            if (!was || !(*was == p))
                changed << p.name;
        }
        m_appliedPolicies = now;
        showNotice(
            changed.isEmpty()
                ? tr("Policies v%1 applied (no policy changed)").arg(version)
                : tr("policy %1 v%2 applied").arg(changed.join(QStringLiteral(", "))).arg(version));
    });
    connect(&m_engine.policies, &PolicyStore::reloadFailed, this, [this](const QStringList &e) {
        showNotice(tr("The policy file was not applied: %1").arg(e.join(QStringLiteral("; "))));
    });
    connect(m_model, &QAbstractItemModel::rowsInserted, this, [this] { updateEndpointColumn(); });

    m_appliedPolicies = m_engine.policies.current();
    restoreLayout();
    m_confirm->setChecked(QSettings().value(QStringLiteral("confirmBulk"), true).toBool());
    m_actions->setConfirmBulk(m_confirm->isChecked());
    m_actions->update();
    updateEndpointColumn();
}

MainWindow::~MainWindow() = default;

QTreeWidget *MainWindow::notificationLog() const
{
    return m_log->entries();
}

void MainWindow::restoreLayout()
{
    QSettings settings;
    // Inside the screen it opens on: a laptop's 1280x800 (less the panels) included.
    const QRect avail = screen() ? screen()->availableGeometry() : QRect(0, 0, 1280, 800);
    // A laptop's screen is used whole; a large one mostly, with room around the window.
    resize(avail.width() <= 1440 ? avail.width() : avail.width() * 17 / 20,
           avail.height() <= 900 ? avail.height() : avail.height() * 17 / 20);
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
    const QByteArray columns = settings.value(QStringLiteral("window/columns")).toByteArray();
    if (!columns.isEmpty())
        m_table->horizontalHeader()->restoreState(columns);
    if (!isMaximized()) {
        QRect g = frameGeometry();
        g.setSize(g.size().boundedTo(avail.size()));
        g.moveLeft(std::clamp(g.left(), avail.left(), avail.right() - g.width() + 1));
        g.moveTop(std::clamp(g.top(), avail.top(), avail.bottom() - g.height() + 1));
        const QSize frame = frameGeometry().size() - geometry().size();
        resize(g.size() - frame);
        move(g.topLeft());
    }
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    settings.setValue(QStringLiteral("window/columns"), m_table->horizontalHeader()->saveState());
    settings.setValue(QStringLiteral("confirmBulk"), m_confirm->isChecked());
    QMainWindow::closeEvent(event);
}

void MainWindow::showEvent(QShowEvent *event)
{
    QMainWindow::showEvent(event);
    // The default split needs the window's real size; a saved layout replaces it.
    if (m_defaultSplit && !QSettings().contains(QStringLiteral("window/state")))
        QTimer::singleShot(0, this, m_defaultSplit);
    m_defaultSplit = nullptr;
}

void MainWindow::setConfirmBulkActions(bool on)
{
    m_confirm->setChecked(on);
}

void MainWindow::updateEndpointColumn()
{
    // The same endpoint on every row says nothing: the column shows when there are several.
    QSet<QString> seen;
    for (const QString &e : m_engine.view.endpoints())
        seen.insert(e);
    m_table->setColumnHidden(TaskTableModel::Endpoint, seen.size() <= 1);
    // Owners exist in a fleet only.
    m_table->setColumnHidden(TaskTableModel::Owner, !m_engine.view.inFleet());
}

void MainWindow::updatePausedBadge()
{
    QStringList paused;
    for (const QString &t : m_model->taskTypes())
        if (m_engine.view.isPaused(t))
            paused << t;
    m_pausedBadge->setText(tr("PAUSED: %1").arg(paused.join(QStringLiteral(", "))));
    m_pausedBadge->setToolTip(tr("Automatic retries of these types wait until resumed"));
    m_pausedBadge->setVisible(!paused.isEmpty());
    m_model->refreshAll(); // the Type column shows the pause
}

void MainWindow::buildActions()
{
    const auto make = [this](const QString &name, const QString &text, const QString &icon,
                             const QKeySequence &key) {
        auto *a = new QAction(text, this);
        if (!icon.isEmpty())
            a->setIcon(QIcon(QStringLiteral(":/rebound/icons/%1.svg").arg(icon)));
        a->setObjectName(name);
        if (!key.isEmpty())
            a->setShortcut(key);
        return a;
    };
    m_readOnly =
        make(QStringLiteral("readOnlyAction"), tr("Read-only"), QStringLiteral("lock"), {});
    m_readOnly->setCheckable(true);
    m_confirm =
        make(QStringLiteral("confirmBulkAction"), tr("Confirm bulk actions"), QString(), {});
    m_confirm->setCheckable(true);
    connect(m_confirm, &QAction::toggled, m_actions, &TaskActions::setConfirmBulk);
    m_export = make(QStringLiteral("exportAction"), tr("Export CSV…"), QStringLiteral("export"),
                    QKeySequence(tr("Ctrl+E")));
    m_policies = make(QStringLiteral("policiesAction"), tr("Policies…"), QStringLiteral("policy"),
                      QKeySequence(tr("Ctrl+P")));
    auto *endpoints = make(QStringLiteral("connectEndpointAction"), tr("Connect to endpoint…"),
                           QString(), QKeySequence(tr("Ctrl+Shift+N")));
    auto *forget =
        make(QStringLiteral("forgetEndpointAction"), tr("Forget endpoint…"), QString(), {});
    auto *about = make(QStringLiteral("aboutAction"), tr("About Rebound"), QString(), {});
    auto *statesHelp = make(QStringLiteral("statesHelpAction"), tr("States and decisions"),
                            QString(), QKeySequence::HelpContents);
    auto *quit = make(QStringLiteral("quitAction"), tr("Quit"), QString(), QKeySequence::Quit);
    auto *find =
        make(QStringLiteral("findAction"), tr("Filter tasks"), QString(), QKeySequence::Find);
    // Short words on the toolbar (a laptop's width holds them all); the menus say it in full.
    m_policies->setIconText(tr("Policies"));
    m_export->setIconText(tr("Export"));
    // Every action says what it does (the toolbar and the menus show it on hover).
    m_readOnly->setToolTip(tr("Watch only: every action that changes a task is disabled"));
    m_confirm->setToolTip(tr("Ask before acting on several tasks at once"));
    m_export->setToolTip(tr("Write the attempt history to a CSV file"));
    m_policies->setToolTip(tr("Edit the retry policies; changes apply to the next decision"));
    endpoints->setToolTip(tr("Watch a Task API service (or give a watched one a new token)"));
    forget->setToolTip(tr("Stop watching a service and remove its token"));
    about->setToolTip(tr("Version and licence"));
    statesHelp->setToolTip(tr("What each state, cause and action means"));
    quit->setToolTip(tr("Close the console (the history stays)"));
    find->setToolTip(tr("Put the cursor in the filter"));
    addAction(find);
    connect(find, &QAction::triggered, this, [this] { m_filters->focusText(); });
    connect(statesHelp, &QAction::triggered, this,
            [this] { (new StatesHelpDialog(this))->open(); });

    connect(m_readOnly, &QAction::toggled, this, [this](bool on) {
        m_engine.commands.setReadOnly(on);
        m_readOnlyBadge->setVisible(on);
        m_actions->setWritable(!on);
    });
    connect(m_export, &QAction::triggered, this, &MainWindow::openExport);
    connect(endpoints, &QAction::triggered, this, &MainWindow::openEndpoints);
    connect(forget, &QAction::triggered, this, &MainWindow::forgetEndpoint);
    connect(m_policies, &QAction::triggered, this, &MainWindow::openPolicyEditor);
    connect(about, &QAction::triggered, this, &MainWindow::about);
    connect(quit, &QAction::triggered, this, &QWidget::close);

    auto *toolbar = addToolBar(tr("Actions"));
    toolbar->setObjectName(QStringLiteral("actionsToolbar"));
    toolbar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    toolbar->addActions(m_actions->taskCommands());
    toolbar->addSeparator();
    toolbar->addActions(m_actions->typeCommands());
    toolbar->addSeparator();
    toolbar->addActions({m_readOnly, m_policies, m_export});

    QMenu *file = menuBar()->addMenu(tr("&File"));
    file->addActions({endpoints, forget});
    file->addAction(m_export);
    file->addSeparator();
    file->addAction(quit);
    QMenu *tasks = menuBar()->addMenu(tr("&Tasks"));
    tasks->addActions(m_actions->taskCommands());
    tasks->addSeparator();
    tasks->addActions(m_actions->typeCommands());
    QMenu *settings = menuBar()->addMenu(tr("&Settings"));
    settings->addActions({m_policies, m_readOnly, m_confirm});
    QMenu *view = menuBar()->addMenu(tr("&View"));
    view->setObjectName(QStringLiteral("viewMenu"));
    for (QDockWidget *dock : findChildren<QDockWidget *>(Qt::FindDirectChildrenOnly))
        view->addAction(dock->toggleViewAction());
    view->addAction(toolbar->toggleViewAction());
    view->addSeparator();
    view->addAction(find);
    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->addAction(statesHelp);
    help->addAction(about);
}

void MainWindow::showNotice(const QString &text, const QString &endpoint, const QString &id)
{
    // Without a task it is about the whole console (a policy, a breaker, the config centre).
    m_log->add(
        {m_engine.clock.wallNow(),
         text,
         id.isEmpty() ? NotificationLog::Severity::Important : NotificationLog::Severity::Info,
         {},
         endpoint,
         id,
         {},
         {}});
    m_notice->showText(text);
}

void MainWindow::selectTask(const QString &endpoint, const QString &id)
{
    const int row = m_model->rowOf(TaskRow::keyOf(endpoint, id));
    if (row < 0)
        return;
    QModelIndex i = m_proxy->mapFromSource(m_model->index(row, 0));
    if (!i.isValid()) {
        // Filtered out: clear the filters so the operator sees the task asked for.
        m_filters->clear();
        i = m_proxy->mapFromSource(m_model->index(row, 0));
    }
    m_table->selectionModel()->setCurrentIndex(i, QItemSelectionModel::ClearAndSelect |
                                                      QItemSelectionModel::Rows);
    m_table->scrollTo(i);
}

void MainWindow::scheduleUpdateActions()
{
    if (std::exchange(m_actionsQueued, true))
        return;
    QTimer::singleShot(0, this, [this] {
        m_actionsQueued = false;
        m_actions->update();
    });
}

void MainWindow::openPolicyEditor()
{
    PolicyEditorDialog dialog(m_engine.policies, this);
    if (m_publisher)
        dialog.setPublisher(m_publisher);
    dialog.exec();
}

void MainWindow::setFleet(FleetPane *fleetPane, PolicyEditorDialog::Publisher publisher)
{
    m_publisher = std::move(publisher);
    connect(fleetPane, &FleetPane::notice, this, [this](const QString &text) { showNotice(text); });
    auto *dock = new QDockWidget(tr("Fleet"), this);
    dock->setObjectName(QStringLiteral("fleetDock"));
    dock->setWidget(fleetPane);
    addDockWidget(Qt::BottomDockWidgetArea, dock);
    if (auto *detail = findChild<QDockWidget *>(QStringLiteral("detailDock")))
        tabifyDockWidget(detail, dock);
}

void MainWindow::openExport()
{
    QStringList ids;
    for (const TaskActions::Selected &s : m_actions->selection())
        ids << s.id;
    ExportDialog dialog(m_engine.historyPath, m_model->taskTypes(), ids, this);
    dialog.exec();
}

void MainWindow::openEndpoints()
{
    // Also the way to fix an endpoint: the same URL again takes the new token and CA and
    // reconnects at once (e.g. after the status bar named an untrusted certificate).
    auto *dialog = new EndpointsDialog(*m_credentials, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QDialog::accepted, this,
            [this, dialog] { m_engine.commands.addEndpoint(dialog->endpoint()); });
    dialog->open();
}

void MainWindow::forgetEndpoint()
{
    const QStringList endpoints = m_engine.view.endpoints();
    if (endpoints.isEmpty()) {
        showNotice(tr("No endpoint is being watched."));
        return;
    }
    auto *dialog = new QInputDialog(this);
    dialog->setObjectName(QStringLiteral("forgetEndpointDialog"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowTitle(tr("Forget endpoint"));
    dialog->setLabelText(tr("Stop watching this endpoint and remove its token from the keychain. "
                            "Its history stays and can still be exported."));
    dialog->setComboBoxItems(endpoints);
    dialog->setOkButtonText(tr("Forget"));
    connect(dialog, &QInputDialog::textValueSelected, this, [this](const QString &endpoint) {
        m_engine.commands.removeEndpoint(endpoint);
        EndpointsDialog::forget(endpoint);
        m_credentials->remove(endpoint, [](bool, const QByteArray &, const QString &) {});
        showNotice(tr("Stopped watching %1.").arg(endpoint));
    });
    dialog->open();
}

void MainWindow::about()
{
    QMessageBox::about(
        this, tr("About Rebound"),
        tr("<h3>Rebound %1</h3><p>An operator console for remote asynchronous tasks that fail and "
           "must be "
           "retried — safely, visibly, and without making an outage worse.</p><p>Qt %2</p>")
            .arg(QStringLiteral(REBOUND_VERSION), QString::fromLatin1(qVersion())));
}

} // namespace rebound
