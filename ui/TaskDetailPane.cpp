#include "TaskDetailPane.h"

#include "TaskRowText.h"
#include "TaskTableModel.h"
#include "engine/EngineView.h"
#include "history/HistoryStore.h"
#include "policy/PolicyStore.h"

#include <QApplication>
#include <QClipboard>
#include <QDateTime>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPointer>
#include <QPushButton>
#include <QSet>
#include <QTableWidget>
#include <QTimer>
#include <QVBoxLayout>

namespace rebound {

TaskDetailPane::TaskDetailPane(EngineView &view, QWidget *parent)
    : QWidget(parent), m_view(view), m_title(new QLabel(this)), m_stop(new QLabel(this)),
      m_table(new QTableWidget(this)), m_copy(new QPushButton(tr("Copy trace id"), this)),
      m_reload(new QTimer(this))
{
    setObjectName(QStringLiteral("taskDetail"));
    m_title->setObjectName(QStringLiteral("detailTitle"));
    m_stop->setObjectName(QStringLiteral("stopReasonLabel"));
    m_table->setObjectName(QStringLiteral("attemptTable"));
    m_copy->setObjectName(QStringLiteral("copyTraceButton"));
    m_title->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_stop->setWordWrap(true);
    const QStringList headers = {
        tr("#"),     tr("Reason"),       tr("Started"),     tr("Duration"), tr("Outcome"),
        tr("Error"), tr("Delay chosen"), tr("Retry-After"), tr("Policy"),   tr("Trace id")};
    m_table->setColumnCount(static_cast<int>(headers.size()));
    m_table->setHorizontalHeaderLabels(headers);
    m_table->verticalHeader()->hide();
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setTabKeyNavigation(false); // rows, not cells: Tab leaves for the next pane
    m_table->horizontalHeader()->setStretchLastSection(true);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 2, 4, 2);
    auto *top = new QHBoxLayout;
    top->addWidget(m_title, 1);
    top->addWidget(m_copy);
    layout->addLayout(top);
    layout->addWidget(m_table, 1);
    layout->addWidget(m_stop);
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    m_table->setToolTip(tr("Every attempt the service ran and, in italics, what happened between "
                           "them"));
    m_copy->setToolTip(tr("Copy the selected attempt's W3C trace id"));
    connect(m_copy, &QPushButton::clicked, this, [this] {
        const int row =
            m_table->currentRow() >= 0 ? m_table->currentRow() : m_table->rowCount() - 1;
        if (auto *item = m_table->item(row, 9); item && !item->text().isEmpty())
            QApplication::clipboard()->setText(item->text());
    });
    // The story goes on while the task is shown: new attempts, decisions, policy versions.
    m_reload->setSingleShot(true);
    m_reload->setInterval(300);
    connect(m_reload, &QTimer::timeout, this, [this] {
        if (!m_taskId.isEmpty())
            showTask(m_endpoint, m_taskId);
    });
    connect(&m_view, &EngineView::rowsUpdated, this, [this](const QList<TaskRow> &rows) {
        if (m_taskId.isEmpty())
            return;
        for (const TaskRow &row : rows)
            if (row.remote.id == m_taskId && row.endpoint == m_endpoint) {
                scheduleReload();
                return;
            }
    });
    connect(&m_view.policySource(), &PolicyStore::policiesChanged, this,
            &TaskDetailPane::scheduleReload);
    clear();
}

void TaskDetailPane::scheduleReload()
{
    if (!m_taskId.isEmpty() && !m_reload->isActive())
        m_reload->start();
}

void TaskDetailPane::clear()
{
    m_endpoint.clear();
    m_taskId.clear();
    m_title->setText(tr("Select a task to see its attempts."));
    m_stop->clear();
    m_table->setRowCount(0);
    m_copy->setEnabled(false);
}

void TaskDetailPane::showTask(const QString &endpoint, const QString &taskId)
{
    m_endpoint = endpoint;
    m_taskId = taskId;
    const auto row = m_view.row(TaskRow::keyOf(endpoint, taskId));
    m_title->setText(row ? tr("<b>%1</b> · %2 · %3")
                               .arg(taskId.toHtmlEscaped(), row->remote.type.toHtmlEscaped(),
                                    endpoint.toHtmlEscaped())
                         : taskId);
    const int generation = ++m_generation;
    // The answer may come after the pane is gone (the window closed): it checks first.
    m_view.attempts(
        endpoint, taskId,
        [this, pane = QPointer<TaskDetailPane>(this),
         generation](const Result<QList<RemoteAttempt>> &attempts) {
            if (!pane || generation != m_generation)
                return; // the pane is gone, or the selection moved on
            if (!attempts) {
                m_stop->setText(
                    tr("Could not load the attempts: %1").arg(attempts.error().message));
                return;
            }
            fill(*attempts);
        });
}

QString TaskDetailPane::stopText(const QString &key)
{
    // A stop reason key from the history, as the table says it; anything else as it is.
    const auto reason = stopReasonFromString(key);
    return reason ? TaskRowText::stopLabel(*reason) : key;
}

QString TaskDetailPane::detailText(const QString &key)
{
    // The engine's deferral and stop keys, in the table's words; anything else (HTTP 503) as is.
    static const QHash<QString, QString> labels = {
        {QStringLiteral("breaker_open"), tr("breaker open")},
        {QStringLiteral("budget_exhausted"), tr("retry budget spent")},
        {QStringLiteral("unhealthy"), tr("type unhealthy")},
        {QStringLiteral("paused"), tr("retries paused by an operator")},
    };
    const auto it = labels.constFind(key);
    return it != labels.constEnd() ? *it : stopText(key);
}

QString TaskDetailPane::causeLabel(const QString &cause)
{
    // The engine's cause keys (TransitionCause), as an operator reads them.
    static const QHash<QString, QString> labels = {
        {QStringLiteral("retry_deferred"), tr("retry deferred")},
        {QStringLiteral("retry_scheduled"), tr("retry scheduled")},
        {QStringLiteral("operator_retry"), tr("operator: retry now")},
        {QStringLiteral("operator_requeue"), tr("operator: brought back (fresh allowance)")},
        {QStringLiteral("operator_cancel"), tr("operator: cancelled")},
        {QStringLiteral("retries_stopped"), tr("retries stopped")},
        {QStringLiteral("someone_else"), tr("attempt started elsewhere")},
        {QStringLiteral("attempt_timed_out"), tr("attempt timed out / aborted")},
    };
    return labels.value(cause, cause);
}

void TaskDetailPane::fill(const QList<RemoteAttempt> &attempts)
{
    const EngineView::Timeline history = m_view.timeline(m_endpoint, m_taskId);
    const auto &rows = history.attempts;
    // The timeline: the service's attempts and, between them, what the engine and operators
    // did (deferrals, operator actions, stops), in time order.
    struct Line
    {
        std::int64_t at;
        int order; ///< attempts before the events of the same moment
        QStringList cells;
        bool event = false;
        int attempt = 0;
        QString detail; ///< the event's detail key (deferrals fold by it)
    };
    std::vector<Line> lines;
    QString stop;
    for (const RemoteAttempt &a : attempts) {
        const HistoryStore::Row *h = nullptr;
        for (const auto &r : rows)
            if (r.attempt == a.number)
                h = &r;
        QString error;
        if (a.outcome != AttemptOutcome::Succeeded && a.outcome != AttemptOutcome::Running) {
            error = h && !h->errorClass.isEmpty() ? h->errorClass : QString();
            if (a.httpStatus)
                error += QStringLiteral(" HTTP %1").arg(*a.httpStatus);
            if (a.problem)
                error += QStringLiteral(" %1 (%2)").arg(a.problem->title, a.problem->type);
        }
        QString delay;
        if (h && h->delayMs) {
            if (h->retryAfterMs)
                delay = tr("Retry-After %1 s (server)").arg(double(*h->retryAfterMs) / 1000.0);
            else if (h->nominalDelayMs)
                delay = tr("nominal %1 ms → %2 ms (%3 jitter)")
                            .arg(*h->nominalDelayMs)
                            .arg(*h->delayMs)
                            .arg(h->jitter);
            else // recorded before the history kept the nominal delay
                delay = tr("%1 ms (%2 jitter)").arg(*h->delayMs).arg(h->jitter);
        } else if (h && !h->deferReason.isEmpty()) {
            delay = tr("deferred: %1").arg(detailText(h->deferReason));
        } else if (h && !h->stopReason.isEmpty()) {
            delay = tr("stopped: %1").arg(stopText(h->stopReason));
        }
        lines.push_back(
            {a.startedAtMs,
             0,
             {QString::number(a.number), toText(a.reason),
              QDateTime::fromMSecsSinceEpoch(a.startedAtMs)
                  .toString(QStringLiteral("HH:mm:ss.zzz")),
              a.durationMs ? tr("%1 ms").arg(*a.durationMs) : QString(), toText(a.outcome),
              error.trimmed(), delay,
              h && h->retryAfterMs
                  ? tr("%1 ms honoured").arg(*h->retryAfterMs)
                  : (a.retryAfterMs ? tr("%1 ms asked").arg(*a.retryAfterMs) : QString()),
              h && !h->policy.isEmpty() ? tr("%1 v%2").arg(h->policy).arg(h->policyVersion)
                                        : QString(),
              a.traceId},
             false,
             a.number,
             {}});
        // The footer tells how the latest attempt ended: a stop an operator has since undone
        // (a retry that brought the task back) is history, not the task's state.
        stop = h && !h->stopReason.isEmpty() ? tr("Retries stopped after attempt %1: %2.")
                                                   .arg(a.number)
                                                   .arg(stopText(h->stopReason))
                                             : QString();
    }
    static const QSet<QString> shown = {
        QStringLiteral("retry_deferred"),   QStringLiteral("operator_retry"),
        QStringLiteral("operator_requeue"), QStringLiteral("operator_cancel"),
        QStringLiteral("retries_stopped"),  QStringLiteral("someone_else"),
        QStringLiteral("attempt_timed_out")};
    // A deferral decided again for the same cause (each recheck writes one) is one row that
    // counts its re-checks: a task held for minutes must not fill its timeline.
    qsizetype lastDeferral = -1; ///< its row in `lines`
    int rechecks = 0;
    const auto closeDeferral = [&] {
        if (lastDeferral >= 0 && rechecks > 0)
            lines[std::size_t(lastDeferral)].cells[5] +=
                rechecks == 1 ? tr(" (1 re-check)") : tr(" (%1 re-checks)").arg(rechecks);
        lastDeferral = -1;
        rechecks = 0;
    };
    for (const LifecycleEvent &e : history.events) {
        if (!shown.contains(e.cause))
            continue;
        if (e.cause == QLatin1String("retry_deferred") && lastDeferral >= 0 &&
            lines[std::size_t(lastDeferral)].attempt == e.attempt &&
            lines[std::size_t(lastDeferral)].detail == e.detail) {
            ++rechecks;
            continue;
        }
        closeDeferral();
        if (e.cause == QLatin1String("retry_deferred"))
            lastDeferral = qsizetype(lines.size());
        lines.push_back(
            {e.atWallMs,
             1,
             {QString(), causeLabel(e.cause),
              QDateTime::fromMSecsSinceEpoch(e.atWallMs).toString(QStringLiteral("HH:mm:ss.zzz")),
              QString(), tr("→ %1").arg(e.to), detailText(e.detail), QString(), QString(),
              QString(), QString()},
             true,
             e.attempt,
             e.detail});
    }
    closeDeferral();
    // Policy versions applied while the task was watched: the rules changed between attempts.
    if (!lines.empty()) {
        const qint64 first =
            std::min_element(lines.begin(), lines.end(), [](const Line &x, const Line &y) {
                return x.at < y.at;
            })->at;
        for (const PolicyVersion &v : m_view.policySource().history()) {
            const qint64 at = v.at.toMSecsSinceEpoch();
            if (at <= first)
                continue;
            lines.push_back(
                {at,
                 1,
                 {QString(), tr("policy change"),
                  QDateTime::fromMSecsSinceEpoch(at).toString(QStringLiteral("HH:mm:ss.zzz")),
                  QString(), tr("→ v%1").arg(v.number), tr("applied by %1").arg(v.source),
                  QString(), QString(), QString(), QString()},
                 true,
                 0,
                 {}});
        }
    }
    std::stable_sort(lines.begin(), lines.end(), [](const Line &x, const Line &y) {
        return std::tie(x.at, x.order) < std::tie(y.at, y.order);
    });
    const int current = m_table->currentRow(); // a reload keeps the operator's place
    m_table->setRowCount(static_cast<int>(lines.size()));
    const QBrush eventBackground = palette().alternateBase();
    for (int i = 0; i < int(lines.size()); ++i) {
        for (int c = 0; c < lines[i].cells.size(); ++c) {
            auto *item = new QTableWidgetItem(lines[i].cells[c]);
            if (lines[i].event) {
                item->setBackground(eventBackground);
                QFont f = item->font();
                f.setItalic(true);
                item->setFont(f);
            }
            item->setToolTip(lines[i].cells[c]);
            m_table->setItem(i, c, item);
        }
    }
    m_table->resizeColumnsToContents();
    // Long errors and trace ids keep their whole text in the tooltip; no column crowds the rest.
    for (int c = 0; c < m_table->columnCount(); ++c)
        m_table->setColumnWidth(c, std::min(m_table->columnWidth(c), 300));
    if (current >= 0 && current < m_table->rowCount())
        m_table->setCurrentCell(current, 0);
    m_stop->setText(stop);
    m_copy->setEnabled(!attempts.isEmpty());
}

} // namespace rebound
