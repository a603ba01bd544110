#include "TaskRowText.h"

#include "TaskTableModel.h"
#include "engine/EngineView.h"
#include "policy/PolicySet.h"
#include "policy/PolicyStore.h"

#include <QDateTime>
#include <QUrl>

namespace rebound {

TaskRowText::TaskRowText(const EngineView &view, const Clock &clock) : m_view(view), m_clock(clock)
{}

QString TaskRowText::shortEndpoint(const QString &endpoint)
{
    const QUrl url(endpoint);
    return url.port() > 0 ? QStringLiteral("%1:%2").arg(url.host()).arg(url.port()) : url.host();
}

QString TaskRowText::stateLabel(TaskState state)
{
    switch (state) {
    case TaskState::Pending:
        return tr("pending");
    case TaskState::Running:
        return tr("running");
    case TaskState::Succeeded:
        return tr("succeeded");
    case TaskState::Failed:
        return tr("failed");
    case TaskState::TimedOut:
        return tr("timed out");
    case TaskState::RetryScheduled:
        return tr("retry scheduled");
    case TaskState::Deferred:
        return tr("deferred");
    case TaskState::Cancelled:
        return tr("cancelled");
    case TaskState::Exhausted:
        return tr("exhausted");
    }
    return {};
}

QString TaskRowText::badgeLabel(const TaskCondition &c)
{
    if (c.state == TaskState::Exhausted && c.stopReason) {
        switch (*c.stopReason) {
        case StopReason::DeadlineExceeded:
            return tr("deadline exceeded");
        case StopReason::NotRetryable:
            return tr("not retryable");
        case StopReason::Exhausted:
        case StopReason::Cancelled:
            break;
        }
    }
    return stateLabel(c.state);
}

QString TaskRowText::stopLabel(StopReason reason)
{
    switch (reason) {
    case StopReason::Exhausted:
        return tr("attempts used up");
    case StopReason::DeadlineExceeded:
        return tr("deadline exceeded");
    case StopReason::NotRetryable:
        return tr("not retryable");
    case StopReason::Cancelled:
        return tr("cancelled by an operator");
    }
    return {};
}

QString TaskRowText::wallTime(SteadyTime t) const
{
    // Display only: the steady time's distance from now, put on the wall clock.
    return QDateTime::fromMSecsSinceEpoch(m_clock.wallNowMs() + toMs(t - m_clock.steadyNow()))
        .toString(QStringLiteral("HH:mm:ss"));
}

QString TaskRowText::latencyText(double ms)
{
    return ms < 1000 ? tr("%1 ms").arg(qRound(ms)) : tr("%1 s").arg(ms / 1000.0, 0, 'f', 1);
}

QString TaskRowText::waitText(const TaskRow &t) const
{
    const TaskCondition &c = t.condition;
    if (!c.deferReason)
        return {};
    const QString &type = t.remote.type;
    QString what;
    QString evidence; ///< after the time: a narrow column elides it, not the time
    switch (*c.deferReason) {
    case DeferReason::BreakerOpen:
        what = tr("breaker for %1 open").arg(type);
        break;
    case DeferReason::BudgetExhausted:
        what = tr("retry budget for %1 spent").arg(type);
        break;
    case DeferReason::Unhealthy: {
        const RetryDecision *d = t.decision ? &*t.decision : nullptr;
        const auto *defer = d ? std::get_if<DeferPlan>(d) : nullptr;
        // The evidence in words beside the Breaker column: a higher score is worse, so it
        // reads as "score ≥ the line where retries stop".
        what = tr("%1 unhealthy").arg(type);
        if (defer && defer->reason == DeferReason::Unhealthy)
            evidence = tr(": errors %1 %, latency %2 (score %3 ≥ %4)")
                           .arg(qRound(defer->errorRate * 100))
                           .arg(latencyText(defer->meanLatencyMs))
                           .arg(defer->healthScore, 0, 'f', 2)
                           .arg(defer->unhealthyScore, 0, 'f', 2);
        break;
    }
    case DeferReason::Paused:
        return tr("waiting: retries of %1 paused by an operator").arg(type);
    }
    return (c.until ? tr("waiting: %1 until %2").arg(what, wallTime(*c.until))
                    : tr("waiting: %1").arg(what)) +
           evidence;
}

QString TaskRowText::endingToolTip(const TaskRow &t) const
{
    const TaskCondition &c = t.condition;
    const QString policy = t.policyName.isEmpty()
                               ? QString()
                               : tr(" (policy %1 v%2)").arg(t.policyName).arg(t.policyVersion);
    if (c.state == TaskState::Cancelled)
        return tr("Retries cancelled by an operator") + policy;
    if (c.state == TaskState::TimedOut)
        return tr("Attempt %1 ran past its timeout and was ended; the policy decides next")
            .arg(t.remote.attempt);
    if (c.state != TaskState::Exhausted || !c.stopReason)
        return {};
    const auto &backoff = m_view.policySource().current()->policyFor(t.remote.type).backoff;
    switch (*c.stopReason) {
    case StopReason::Exhausted:
        return tr("%1 of %2 attempts used")
                   .arg(t.remote.attempt - t.allowanceBase)
                   .arg(backoff.maxAttempts) +
               policy;
    case StopReason::DeadlineExceeded:
        return tr("Total deadline of %1 s passed").arg(double(backoff.totalDeadlineMs) / 1000.0) +
               policy;
    case StopReason::NotRetryable:
        return tr("The last error is not retryable: %1")
                   .arg(t.remote.lastAttempt && t.remote.lastAttempt->httpStatus
                            ? QStringLiteral("HTTP %1").arg(*t.remote.lastAttempt->httpStatus)
                            : tr("its error class")) +
               policy;
    case StopReason::Cancelled:
        return tr("Retries cancelled by an operator") + policy;
    }
    return {};
}

QVariant TaskRowText::header(int section, int role)
{
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case TaskTableModel::Endpoint:
            return tr("The Task API service the task lives on");
        case TaskTableModel::Id:
            return tr("The task's id on its service");
        case TaskTableModel::Type:
            return tr("The task type; its policy is chosen by it");
        case TaskTableModel::State:
            return tr("The engine's state of the task, needs-attention first (hover a badge for "
                      "its cause)");
        case TaskTableModel::Attempt:
            return tr("Attempts so far / attempts the policy allows");
        case TaskTableModel::NextRetry:
            return tr("When the next attempt starts, or what a deferred retry waits for");
        case TaskTableModel::Owner:
            return tr("The fleet member that decides the task (its shard's owner)");
        case TaskTableModel::Breaker:
            return tr("The circuit breaker tier of the task's type on its endpoint");
        case TaskTableModel::Updated:
            return tr("When the service last changed the task");
        case TaskTableModel::LastError:
            return tr("The last attempt's error (full text in the tooltip and the Attempts pane)");
        default:
            return {};
        }
    }
    if (role != Qt::DisplayRole)
        return {};
    switch (section) {
    case TaskTableModel::Owner:
        return tr("Owner");
    case TaskTableModel::Endpoint:
        return tr("Endpoint");
    case TaskTableModel::Id:
        return tr("Task");
    case TaskTableModel::Type:
        return tr("Type");
    case TaskTableModel::State:
        return tr("State");
    case TaskTableModel::Attempt:
        return tr("Attempt");
    case TaskTableModel::NextRetry:
        return tr("Next attempt / waiting for");
    case TaskTableModel::LastError:
        return tr("Last error");
    case TaskTableModel::Breaker:
        return tr("Breaker");
    case TaskTableModel::Updated:
        return tr("Updated");
    default:
        return {};
    }
}

} // namespace rebound
