#include "StatesHelpDialog.h"

#include "StateBadgeDelegate.h"

#include <QDialogButtonBox>
#include <QTextBrowser>
#include <QVBoxLayout>

namespace rebound {

StatesHelpDialog::StatesHelpDialog(QWidget *parent) : QDialog(parent)
{
    setObjectName(QStringLiteral("statesHelpDialog"));
    setAttribute(Qt::WA_DeleteOnClose);
    setWindowTitle(tr("States and decisions"));
    auto *text = new QTextBrowser(this);
    text->setObjectName(QStringLiteral("statesHelpText"));
    text->setOpenLinks(false);
    QString html = tr("<h3>States</h3><p>Rows are sorted needs-attention first; hover a badge for "
                      "its cause.</p><table cellpadding=4>");
    const auto row = [](const QString &name, const QColor &c, const QString &what) {
        return QStringLiteral("<tr><td><span style='background:%1;color:white'>&nbsp;%2&nbsp;"
                              "</span></td><td>%3</td></tr>")
            .arg(c.name(), name.toHtmlEscaped(), what);
    };
    html += row(tr("exhausted"),
                StateBadgeDelegate::colorFor(TaskState::Exhausted, StopReason::Exhausted),
                tr("Every attempt the policy allows was used. Retry now brings it back with a "
                   "fresh allowance."));
    html += row(tr("deadline exceeded"),
                StateBadgeDelegate::colorFor(TaskState::Exhausted, StopReason::DeadlineExceeded),
                tr("The policy's total deadline passed before an attempt succeeded."));
    html += row(tr("not retryable"),
                StateBadgeDelegate::colorFor(TaskState::Exhausted, StopReason::NotRetryable),
                tr("The error is one the policy never retries (e.g. HTTP 400, or a problem type "
                   "marked permanent)."));
    html += row(tr("timed out"), StateBadgeDelegate::colorFor(TaskState::TimedOut),
                tr("The running attempt passed its timeout and was ended; the policy decides "
                   "what follows."));
    html += row(tr("failed"), StateBadgeDelegate::colorFor(TaskState::Failed),
                tr("An attempt failed and the policy has not decided yet."));
    html += row(tr("deferred"), StateBadgeDelegate::colorFor(TaskState::Deferred),
                tr("A retry is due but waits: the type's breaker is open, its retry budget is "
                   "spent, its health score is over the threshold, or an operator paused it. The "
                   "Next attempt column says which, and until when."));
    html += row(tr("retry scheduled"), StateBadgeDelegate::colorFor(TaskState::RetryScheduled),
                tr("The next attempt has a time: the backoff delay (nominal, then jittered) or "
                   "the server's Retry-After, whichever is longer."));
    html += row(tr("running"), StateBadgeDelegate::colorFor(TaskState::Running),
                tr("An attempt runs; this console ends it if it passes its timeout."));
    html += row(tr("pending"), StateBadgeDelegate::colorFor(TaskState::Pending),
                tr("Created, no attempt yet."));
    html += row(tr("cancelled"), StateBadgeDelegate::colorFor(TaskState::Cancelled),
                tr("An operator cancelled its retries."));
    html += row(tr("succeeded"), StateBadgeDelegate::colorFor(TaskState::Succeeded),
                tr("An attempt succeeded. Nothing more happens."));
    html += tr("</table><h3>Actions</h3><ul>"
               "<li><b>Retry now</b> (Ctrl+R): start the next attempt at once; on an exhausted "
               "or cancelled task, a fresh allowance.</li>"
               "<li><b>Cancel retries</b> (Ctrl+Shift+C): no more attempts.</li>"
               "<li><b>Abort running attempt</b> (Ctrl+Shift+A): end it as a timeout; the policy "
               "decides next.</li>"
               "<li><b>Pause / Resume auto-retry</b>: hold every automatic retry of a type.</li>"
               "<li><b>Force breaker open / Reset breaker</b>: override the type's breaker.</li>"
               "</ul><h3>Keys</h3><p>Ctrl+F filter · Ctrl+E export · Ctrl+P policies · "
               "View menu: show or hide every pane.</p>");
    text->setHtml(html);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(text);
    layout->addWidget(buttons);
    resize(640, 560);
}

} // namespace rebound
