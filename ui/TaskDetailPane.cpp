#include "TaskDetailPane.h"

#include "Orchestrator.h"
#include "TaskApi.h"
#include "TaskJson.h"

#include <QApplication>
#include <QClipboard>
#include <QDateTime>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

namespace rebound {

TaskDetailPane::TaskDetailPane(Orchestrator &orchestrator, QWidget *parent)
    : QWidget(parent), m_orchestrator(orchestrator), m_title(new QLabel(this)),
      m_stop(new QLabel(this)), m_table(new QTableWidget(this)),
      m_copy(new QPushButton(tr("Copy trace id"), this))
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
    m_table->horizontalHeader()->setStretchLastSection(true);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_title);
    layout->addWidget(m_table, 1);
    layout->addWidget(m_stop);
    layout->addWidget(m_copy, 0, Qt::AlignRight);
    connect(m_copy, &QPushButton::clicked, this, [this] {
        const int row =
            m_table->currentRow() >= 0 ? m_table->currentRow() : m_table->rowCount() - 1;
        if (auto *item = m_table->item(row, 9))
            QApplication::clipboard()->setText(item->text());
    });
    clear();
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
    const TrackedTask *t = m_orchestrator.task(endpoint, taskId);
    m_title->setText(t ? tr("<b>%1</b> · %2 · %3")
                             .arg(taskId.toHtmlEscaped(), t->remote.type.toHtmlEscaped(),
                                  endpoint.toHtmlEscaped())
                       : taskId);
    const int generation = ++m_generation;
    if (TaskTransport *client = m_orchestrator.transport(endpoint)) {
        client->send(TaskApi::getAttempts(taskId), [this, generation](const ApiResponse &r) {
            if (generation != m_generation)
                return; // the selection moved on
            if (!r.isSuccess()) {
                m_stop->setText(tr("Could not load the attempts: %1").arg(r.describe()));
                return;
            }
            fill(r.body);
        });
    }
}

void TaskDetailPane::fill(const QByteArray &json)
{
    const auto attempts = TaskJson::decodeAttempts(json);
    if (!attempts) {
        m_stop->setText(
            tr("The service sent an unreadable attempt list: %1").arg(attempts.error().message));
        return;
    }
    const auto rows = m_orchestrator.history().attempts(m_endpoint, m_taskId);
    m_table->setRowCount(static_cast<int>(attempts->size()));
    QString stop;
    for (int i = 0; i < attempts->size(); ++i) {
        const RemoteAttempt &a = attempts->at(i);
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
        if (h && h->delayMs)
            delay = tr("%1 ms, %2 jitter").arg(*h->delayMs).arg(h->jitter);
        else if (h && !h->deferReason.isEmpty())
            delay = tr("deferred: %1").arg(h->deferReason);
        const QStringList cells = {
            QString::number(a.number),
            toText(a.reason),
            QDateTime::fromMSecsSinceEpoch(a.startedAtMs).toString(QStringLiteral("HH:mm:ss.zzz")),
            a.durationMs ? tr("%1 ms").arg(*a.durationMs) : QString(),
            toText(a.outcome),
            error.trimmed(),
            delay,
            h && h->retryAfterMs
                ? tr("%1 ms honoured").arg(*h->retryAfterMs)
                : (a.retryAfterMs ? tr("%1 ms asked").arg(*a.retryAfterMs) : QString()),
            h && !h->policy.isEmpty() ? tr("%1 v%2").arg(h->policy).arg(h->policyVersion)
                                      : QString(),
            a.traceId};
        for (int c = 0; c < cells.size(); ++c)
            m_table->setItem(i, c, new QTableWidgetItem(cells[c]));
        if (h && !h->stopReason.isEmpty())
            stop = tr("Retries stopped after attempt %1: %2.").arg(a.number).arg(h->stopReason);
    }
    m_table->resizeColumnsToContents();
    m_stop->setText(stop);
    m_copy->setEnabled(!attempts->isEmpty());
}

} // namespace rebound
