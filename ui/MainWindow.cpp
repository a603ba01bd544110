#include "MainWindow.h"

#include "ChartsPane.h"
#include "Engine.h"
#include "CredentialStore.h"
#include "EndpointsDialog.h"
#include "ExportDialog.h"
#include "PolicyEditorDialog.h"
#include "StateBadgeDelegate.h"
#include "TaskDetailPane.h"
#include "TaskFilterProxy.h"
#include "TaskTableModel.h"

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QCloseEvent>
#include <QComboBox>
#include <QDockWidget>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QSettings>
#include <QStatusBar>
#include <QTableView>
#include <QTimer>
#include <QToolBar>
#include <QVBoxLayout>

#include <algorithm>
#include <array>

namespace rebound {

MainWindow::MainWindow(Engine &engine, const QString &subtitle, QWidget *parent)
    : QMainWindow(parent), m_engine(engine),
      m_model(new TaskTableModel(*engine.orchestrator, engine.clock, this)),
      m_proxy(new TaskFilterProxy(this)), m_table(new QTableView(this)),
      m_detail(new TaskDetailPane(*engine.orchestrator, this)),
      m_charts(new ChartsPane(*engine.orchestrator, engine.clock, this)),
      m_notice(new QLabel(this)), m_readOnlyBadge(new QLabel(tr("READ-ONLY"), this)),
      m_credentials(new CredentialStore(this))
{
    setObjectName(QStringLiteral("mainWindow"));
    setWindowTitle(subtitle.isEmpty() ? tr("Rebound") : tr("Rebound — %1").arg(subtitle));
    setWindowIcon(QIcon(QStringLiteral(":/rebound/icons/rebound.svg")));

    m_proxy->setSourceModel(m_model);
    m_table->setObjectName(QStringLiteral("taskTable"));
    m_table->setModel(m_proxy);
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(TaskTableModel::Updated, Qt::DescendingOrder); // newest first
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_table->setContextMenuPolicy(Qt::CustomContextMenu);
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 8);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setItemDelegateForColumn(TaskTableModel::State, new StateBadgeDelegate(m_table));
    m_table->setColumnWidth(TaskTableModel::Endpoint, 160);
    m_table->setColumnWidth(TaskTableModel::Id, 150);
    m_table->setColumnWidth(TaskTableModel::State, 130);
    m_table->setColumnWidth(TaskTableModel::LastError, 260);

    auto *central = new QWidget(this);
    auto *layout = new QVBoxLayout(central);
    layout->setContentsMargins(4, 4, 4, 4);
    m_notice->setObjectName(QStringLiteral("noticeBanner"));
    m_notice->setWordWrap(true);
    m_notice->setStyleSheet(
        QStringLiteral("QLabel { background: palette(highlight); color: palette(highlighted-text); "
                       "padding: 6px; border-radius: 4px; }"));
    m_notice->hide();
    layout->addWidget(m_notice);
    buildFilterBar(central);
    layout->addWidget(m_table, 1);
    setCentralWidget(central);

    auto *detailDock = new QDockWidget(tr("Attempts"), this);
    detailDock->setObjectName(QStringLiteral("detailDock"));
    detailDock->setWidget(m_detail);
    addDockWidget(Qt::BottomDockWidgetArea, detailDock);
    auto *chartsDock = new QDockWidget(tr("Charts"), this);
    chartsDock->setObjectName(QStringLiteral("chartsDock"));
    chartsDock->setWidget(m_charts);
    addDockWidget(Qt::RightDockWidgetArea, chartsDock);
    resizeDocks({chartsDock}, {480}, Qt::Horizontal);

    m_readOnlyBadge->setObjectName(QStringLiteral("readOnlyBadge"));
    m_readOnlyBadge->setStyleSheet(QStringLiteral(
        "QLabel { color: white; background: #d63b3b; padding: 1px 6px; border-radius: 3px; }"));
    m_readOnlyBadge->hide();
    statusBar()->addPermanentWidget(m_readOnlyBadge);

    buildActions();
    connect(m_table, &QTableView::customContextMenuRequested, this, [this](const QPoint &pos) {
        QMenu menu(this);
        menu.addActions({m_retry, m_cancel, m_abort});
        menu.addSeparator();
        menu.addActions({m_pause, m_resume, m_forceOpen, m_resetBreaker});
        menu.exec(m_table->viewport()->mapToGlobal(pos));
    });
    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
        updateActions();
        const auto sel = selection();
        if (sel.size() == 1)
            m_detail->showTask(sel.first().endpoint, sel.first().id);
        else
            m_detail->clear();
    });
    connect(m_engine.orchestrator.get(), &Orchestrator::endpointStatusChanged, this,
            &MainWindow::onEndpointStatus);
    connect(m_engine.orchestrator.get(), &Orchestrator::endpointRemoved, this,
            [this](const QString &endpoint) { delete m_endpointLabels.take(endpoint); });
    connect(m_engine.orchestrator.get(), &Orchestrator::notice, this,
            [this](const QString &, const QString &id, const QString &message) {
                showNotice(tr("%1: %2").arg(id, message));
            });
    connect(m_engine.orchestrator.get(), &Orchestrator::breakerTransition, this,
            [this](const QString &, const QString &type, const BreakerTransition &t) {
                if (t.to == BreakerHealth::Open)
                    showNotice(tr("Breaker for %1 opened: %2").arg(type, t.cause));
            });
    connect(m_engine.orchestrator.get(), &Orchestrator::taskStopped, this,
            [this](const QString &, const QString &id, StopReason r) {
                statusBar()->showMessage(tr("%1 stopped retrying: %2").arg(id, toText(r)), 5000);
            });
    connect(m_model, &QAbstractItemModel::rowsInserted, this, [this] {
        // Keep the type filter's choices current without disturbing the selection.
        const QString current = m_typeFilter->currentData().toString();
        const QStringList types = m_model->taskTypes();
        if (types.size() + 1 != m_typeFilter->count()) {
            QSignalBlocker block(m_typeFilter);
            m_typeFilter->clear();
            m_typeFilter->addItem(tr("All types"), QString());
            for (const QString &t : types)
                m_typeFilter->addItem(t, t);
            m_typeFilter->setCurrentIndex(std::max(0, m_typeFilter->findData(current)));
        }
    });

    QSettings settings;
    resize(1280, 780);
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
    m_confirm->setChecked(settings.value(QStringLiteral("confirmBulk"), true).toBool());
    updateActions();
}

MainWindow::~MainWindow() = default;

void MainWindow::closeEvent(QCloseEvent *event)
{
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    settings.setValue(QStringLiteral("confirmBulk"), m_confirm->isChecked());
    QMainWindow::closeEvent(event);
}

void MainWindow::setConfirmBulkActions(bool on)
{
    m_confirm->setChecked(on);
}

void MainWindow::buildFilterBar(QWidget *host)
{
    auto *bar = new QHBoxLayout;
    m_filterText = new QLineEdit(host);
    m_filterText->setObjectName(QStringLiteral("filterText"));
    m_filterText->setPlaceholderText(tr("Filter by id, type or error…"));
    m_filterText->setClearButtonEnabled(true);
    m_stateFilter = new QComboBox(host);
    m_stateFilter->setObjectName(QStringLiteral("stateFilter"));
    m_stateFilter->addItem(tr("All states"), QVariant());
    // In the engine's attention order, as the table sorts them.
    std::array<TaskState, TaskStateCount> states{};
    for (int i = 0; i < TaskStateCount; ++i)
        states[i] = static_cast<TaskState>(i);
    std::sort(states.begin(), states.end(),
              [](TaskState a, TaskState b) { return attentionRank(a) < attentionRank(b); });
    for (TaskState s : states)
        m_stateFilter->addItem(TaskTableModel::stateLabel(s), int(s));
    m_typeFilter = new QComboBox(host);
    m_typeFilter->setObjectName(QStringLiteral("typeFilter"));
    m_typeFilter->addItem(tr("All types"), QString());
    m_retryingOnly = new QCheckBox(tr("Retrying only"), host);
    m_retryingOnly->setObjectName(QStringLiteral("retryingOnly"));
    m_exhaustedOnly = new QCheckBox(tr("Exhausted only"), host);
    m_exhaustedOnly->setObjectName(QStringLiteral("exhaustedOnly"));
    bar->addWidget(m_filterText, 1);
    bar->addWidget(m_stateFilter);
    bar->addWidget(m_typeFilter);
    bar->addWidget(m_retryingOnly);
    bar->addWidget(m_exhaustedOnly);
    static_cast<QVBoxLayout *>(host->layout())->addLayout(bar);
    connect(m_filterText, &QLineEdit::textChanged, m_proxy, &TaskFilterProxy::setText);
    connect(m_stateFilter, &QComboBox::currentIndexChanged, this,
            [this] {
                const QVariant v = m_stateFilter->currentData();
                m_proxy->setState(v.isValid() ? std::optional(static_cast<TaskState>(v.toInt()))
                                              : std::nullopt);
            });
    connect(m_typeFilter, &QComboBox::currentIndexChanged, this,
            [this] { m_proxy->setType(m_typeFilter->currentData().toString()); });
    connect(m_retryingOnly, &QCheckBox::toggled, m_proxy, &TaskFilterProxy::setRetryingOnly);
    connect(m_exhaustedOnly, &QCheckBox::toggled, m_proxy, &TaskFilterProxy::setExhaustedOnly);
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
    m_retry = make(QStringLiteral("retryNowAction"), tr("Retry now"), QStringLiteral("retry"),
                   QKeySequence(tr("Ctrl+R")));
    m_cancel = make(QStringLiteral("cancelRetriesAction"), tr("Cancel retries"),
                    QStringLiteral("cancel"), QKeySequence(tr("Ctrl+Shift+C")));
    m_abort = make(QStringLiteral("abortAttemptAction"), tr("Abort running attempt"),
                   QStringLiteral("cancel"), QKeySequence(tr("Ctrl+Shift+A")));
    m_pause = make(QStringLiteral("pauseTypeAction"), tr("Pause auto-retry for type"),
                   QStringLiteral("pause"), QKeySequence(tr("Ctrl+Shift+P")));
    m_resume = make(QStringLiteral("resumeTypeAction"), tr("Resume auto-retry for type"),
                    QStringLiteral("resume"), QKeySequence(tr("Ctrl+Shift+R")));
    m_forceOpen = make(QStringLiteral("forceOpenAction"), tr("Force breaker open"),
                       QStringLiteral("breaker"), {});
    m_resetBreaker = make(QStringLiteral("resetBreakerAction"), tr("Reset breaker"),
                          QStringLiteral("breaker-reset"), {});
    m_readOnly =
        make(QStringLiteral("readOnlyAction"), tr("Read-only"), QStringLiteral("lock"), {});
    m_readOnly->setCheckable(true);
    m_confirm =
        make(QStringLiteral("confirmBulkAction"), tr("Confirm bulk actions"), QString(), {});
    m_confirm->setCheckable(true);
    m_export = make(QStringLiteral("exportAction"), tr("Export CSV…"), QStringLiteral("export"),
                    QKeySequence(tr("Ctrl+E")));
    m_policies = make(QStringLiteral("policiesAction"), tr("Policies…"), QStringLiteral("policy"),
                      QKeySequence(tr("Ctrl+P")));
    auto *endpoints = make(QStringLiteral("connectEndpointAction"), tr("Connect to endpoint…"),
                           QString(), QKeySequence(tr("Ctrl+Shift+N")));
    auto *forget =
        make(QStringLiteral("forgetEndpointAction"), tr("Forget endpoint…"), QString(), {});
    auto *about = make(QStringLiteral("aboutAction"), tr("About Rebound"), QString(), {});
    auto *quit = make(QStringLiteral("quitAction"), tr("Quit"), QString(), QKeySequence::Quit);

    connect(m_retry, &QAction::triggered, this, &MainWindow::retrySelected);
    connect(m_cancel, &QAction::triggered, this, &MainWindow::cancelSelected);
    connect(m_abort, &QAction::triggered, this, &MainWindow::abortSelected);
    connect(m_pause, &QAction::triggered, this, [this] { pauseSelectedTypes(true); });
    connect(m_resume, &QAction::triggered, this, [this] { pauseSelectedTypes(false); });
    connect(m_forceOpen, &QAction::triggered, this, [this] { breakerCommand(true); });
    connect(m_resetBreaker, &QAction::triggered, this, [this] { breakerCommand(false); });
    connect(m_readOnly, &QAction::toggled, this, [this](bool on) {
        m_engine.orchestrator->setReadOnly(on);
        m_readOnlyBadge->setVisible(on);
        updateActions();
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
    toolbar->addActions({m_retry, m_cancel, m_abort});
    toolbar->addSeparator();
    toolbar->addActions({m_pause, m_resume, m_forceOpen, m_resetBreaker});
    toolbar->addSeparator();
    toolbar->addActions({m_readOnly, m_policies, m_export});

    QMenu *file = menuBar()->addMenu(tr("&File"));
    file->addActions({endpoints, forget});
    file->addAction(m_export);
    file->addSeparator();
    file->addAction(quit);
    QMenu *tasks = menuBar()->addMenu(tr("&Tasks"));
    tasks->addActions({m_retry, m_cancel, m_abort});
    tasks->addSeparator();
    tasks->addActions({m_pause, m_resume, m_forceOpen, m_resetBreaker});
    QMenu *settings = menuBar()->addMenu(tr("&Settings"));
    settings->addActions({m_policies, m_readOnly, m_confirm});
    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->addAction(about);
}

QList<MainWindow::Selected> MainWindow::selection() const
{
    QList<Selected> out;
    for (const QModelIndex &i : m_table->selectionModel()->selectedRows()) {
        const QModelIndex s = m_proxy->mapToSource(i);
        out.append({s.data(TaskTableModel::EndpointRole).toString(),
                    s.data(TaskTableModel::TaskIdRole).toString(),
                    s.data(TaskTableModel::TypeRole).toString(),
                    static_cast<TaskState>(s.data(TaskTableModel::StateRole).toInt())});
    }
    return out;
}

void MainWindow::updateActions()
{
    const auto sel = selection();
    const bool writable = !m_readOnly->isChecked();
    const auto any = [&sel](auto pred) { return std::any_of(sel.begin(), sel.end(), pred); };
    // The engine says what is possible, and why not: the tooltip of a disabled action tells.
    Orchestrator &o = *m_engine.orchestrator;
    const auto enable = [&](QAction *action, const QString &label,
                            QString (Orchestrator::*why)(const QString &, const QString &) const) {
        QString reason = sel.isEmpty() ? tr("Select one or more tasks.") : QString();
        bool possible = false;
        for (const Selected &s : sel) {
            const QString w = (o.*why)(s.endpoint, s.id);
            possible = possible || w.isEmpty();
            if (!w.isEmpty() && reason.isEmpty())
                reason = w;
        }
        action->setEnabled(writable && possible);
        action->setToolTip(possible || !writable ? label : label + u'\n' + reason);
    };
    enable(m_retry, tr("Retry now (also brings back exhausted and cancelled tasks)"),
           &Orchestrator::whyNotRetry);
    enable(m_cancel, tr("Cancel retries"), &Orchestrator::whyNotCancel);
    enable(m_abort, tr("Abort the running attempt (ends it as a timeout)"),
           &Orchestrator::whyNotAbort);
    m_pause->setEnabled(writable && any([this](const Selected &s) {
                            return !m_engine.orchestrator->isPaused(s.type);
                        }));
    m_resume->setEnabled(writable && any([this](const Selected &s) {
                             return m_engine.orchestrator->isPaused(s.type);
                         }));
    m_forceOpen->setEnabled(writable && !sel.isEmpty());
    m_resetBreaker->setEnabled(writable && !sel.isEmpty());
}

bool MainWindow::confirmBulk(const QString &what, int count)
{
    if (count < 2 || !m_confirm->isChecked())
        return true;
    return QMessageBox::question(this, tr("Rebound"),
                                 tr("%1 for %2 tasks?").arg(what).arg(count)) == QMessageBox::Yes;
}

void MainWindow::retrySelected()
{
    QList<Selected> sel = selection();
    Orchestrator &o = *m_engine.orchestrator;
    sel.erase(std::remove_if(sel.begin(), sel.end(),
                             [&o](const Selected &s) {
                                 return !o.whyNotRetry(s.endpoint, s.id).isEmpty();
                             }),
              sel.end());
    const auto dead = std::count_if(sel.cbegin(), sel.cend(), [](const Selected &s) {
        return s.state == TaskState::Exhausted || s.state == TaskState::Cancelled;
    });
    if (sel.isEmpty())
        return;
    // Bringing back several dead tasks restarts their whole allowance: always ask.
    if (dead >= 2 &&
        QMessageBox::question(this, tr("Rebound"),
                              tr("Bring back %1 exhausted or cancelled tasks? Each gets a fresh "
                                 "allowance of attempts under its policy.")
                                  .arg(dead)) != QMessageBox::Yes)
        return;
    if (dead < 2 && !confirmBulk(tr("Retry now"), static_cast<int>(sel.size())))
        return;
    for (const Selected &s : sel) {
        o.retryNow(s.endpoint, s.id, [this, id = s.id](Result<void> r) {
            if (!r)
                showNotice(tr("%1: %2").arg(id, r.error().message));
            else
                statusBar()->showMessage(tr("%1: next attempt started").arg(id), 4000);
        });
    }
}

void MainWindow::abortSelected()
{
    const QList<Selected> sel = selection();
    if (sel.isEmpty() || !confirmBulk(tr("Abort running attempts"), static_cast<int>(sel.size())))
        return;
    for (const Selected &s : sel) {
        m_engine.orchestrator->abortAttempt(s.endpoint, s.id, [this, id = s.id](Result<void> r) {
            if (!r)
                showNotice(tr("%1: %2").arg(id, r.error().message));
            else
                statusBar()->showMessage(tr("%1: attempt aborted").arg(id), 4000);
        });
    }
}

void MainWindow::cancelSelected()
{
    const QList<Selected> sel = selection();
    if (sel.isEmpty() || !confirmBulk(tr("Cancel retries"), static_cast<int>(sel.size())))
        return;
    for (const Selected &s : sel) {
        m_engine.orchestrator->cancelRetries(s.endpoint, s.id, [this, id = s.id](Result<void> r) {
            if (!r)
                showNotice(tr("%1: %2").arg(id, r.error().message));
            else
                statusBar()->showMessage(tr("%1: cancelled").arg(id), 4000);
        });
    }
}

void MainWindow::pauseSelectedTypes(bool pause)
{
    QStringList types;
    for (const Selected &s : selection())
        if (!types.contains(s.type))
            types << s.type;
    for (const QString &t : types)
        m_engine.orchestrator->setPaused(t, pause);
    statusBar()->showMessage(
        (pause ? tr("Automatic retries paused for %1") : tr("Automatic retries resumed for %1"))
            .arg(types.join(QStringLiteral(", "))),
        5000);
    updateActions();
}

void MainWindow::breakerCommand(bool forceOpen)
{
    QSet<QPair<QString, QString>> seen;
    for (const Selected &s : selection()) {
        if (seen.contains({s.endpoint, s.type}))
            continue;
        seen.insert({s.endpoint, s.type});
        m_engine.orchestrator->commandBreaker(
            s.endpoint, s.type, forceOpen ? BreakerCommand::ForceOpen : BreakerCommand::Reset);
    }
}

void MainWindow::onEndpointStatus(const QString &endpoint, const EndpointStatus &status)
{
    if (!m_engine.orchestrator->poller(endpoint))
        return; // a late report from an endpoint just removed
    QLabel *&label = m_endpointLabels[endpoint];
    if (!label) {
        label = new QLabel(this);
        label->setObjectName(QStringLiteral("endpointStatus"));
        statusBar()->addPermanentWidget(label); // permanent: temporary messages must not hide it
    }
    QString text = tr("%1: %2").arg(QUrl(endpoint).authority(), toText(status.state));
    if (status.state == EndpointStatus::State::Misbehaving) {
        // What the service got wrong is the news here ("malformed answer: $.tasks[3].id: …"); the
        // whole text stays in the tooltip.
        text += QStringLiteral(" (%1)").arg(fontMetrics().elidedText(
            status.lastError, Qt::ElideRight, 60 * fontMetrics().averageCharWidth()));
    }
    if (status.nextTryAt) {
        const auto s =
            std::max<std::int64_t>(0, toMs(*status.nextTryAt - m_engine.clock.steadyNow()) / 1000);
        text += tr(", next try in %1 s").arg(s);
    }
    text += tr(" · poll %1 ms").arg(status.pollInterval.count());
    if (status.lastSyncWallMs)
        text += tr(" · synced %1")
                    .arg(QDateTime::fromMSecsSinceEpoch(status.lastSyncWallMs)
                             .toString(QStringLiteral("HH:mm:ss")));
    label->setText(text);
    label->setToolTip(status.lastError);
}

void MainWindow::showNotice(const QString &text)
{
    m_notice->setText(text);
    m_notice->show();
    QTimer::singleShot(8000, m_notice, &QLabel::hide);
}

void MainWindow::openPolicyEditor()
{
    PolicyEditorDialog dialog(m_engine.policies, this);
    dialog.exec();
}

void MainWindow::openExport()
{
    QStringList ids;
    for (const Selected &s : selection())
        ids << s.id;
    ExportDialog dialog(m_engine.history->path(), m_model->taskTypes(), ids, this);
    dialog.exec();
}

void MainWindow::openEndpoints()
{
    // Also the way to fix an endpoint: the same URL again takes the new token and CA and
    // reconnects at once (e.g. after the status bar named an untrusted certificate).
    auto *dialog = new EndpointsDialog(*m_credentials, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QDialog::accepted, this,
            [this, dialog] { m_engine.orchestrator->addEndpoint(dialog->endpoint()); });
    dialog->open();
}

void MainWindow::forgetEndpoint()
{
    const QStringList endpoints = m_engine.orchestrator->endpoints();
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
        m_engine.orchestrator->removeEndpoint(endpoint);
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
