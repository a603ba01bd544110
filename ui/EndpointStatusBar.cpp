#include "EndpointStatusBar.h"

#include "engine/EngineView.h"

#include <QDateTime>
#include <QLabel>
#include <QStatusBar>
#include <QUrl>

#include <algorithm>

namespace rebound {

EndpointStatusBar::EndpointStatusBar(const EngineView &view, const Clock &clock, QStatusBar *bar)
    : QObject(bar), m_view(view), m_clock(clock), m_bar(bar)
{}

void EndpointStatusBar::remove(const QString &endpoint)
{
    delete m_labels.take(endpoint);
}

void EndpointStatusBar::show(const QString &endpoint, const EndpointStatus &status)
{
    if (!m_view.endpoints().contains(endpoint))
        return; // a late report from an endpoint just removed
    QLabel *&label = m_labels[endpoint];
    if (!label) {
        label = new QLabel(m_bar);
        label->setObjectName(QStringLiteral("endpointStatus"));
        m_bar->addPermanentWidget(label); // permanent: temporary messages must not hide it
    }
    QString text = tr("%1: %2").arg(QUrl(endpoint).authority(), toText(status.state));
    if (status.state == EndpointStatus::State::Misbehaving) {
        // What the service got wrong is the news here ("malformed answer: $.tasks[3].id: …"); the
        // whole text stays in the tooltip.
        text += QStringLiteral(" (%1)").arg(label->fontMetrics().elidedText(
            status.lastError, Qt::ElideRight, 60 * label->fontMetrics().averageCharWidth()));
    }
    if (status.nextTryAt) {
        const auto s =
            std::max<std::int64_t>(0, toMs(*status.nextTryAt - m_clock.steadyNow()) / 1000);
        text += tr(", next try in %1 s").arg(s);
    }
    // Which transport carries the changes: "live (push)" or "polling 2 s".
    text += QStringLiteral(" · ") + transportText(status);
    if (status.lastSyncWallMs)
        text += tr(" · synced %1")
                    .arg(QDateTime::fromMSecsSinceEpoch(status.lastSyncWallMs)
                             .toString(QStringLiteral("HH:mm:ss")));
    label->setText(text);
    QStringList tip;
    if (!status.lastError.isEmpty())
        tip << status.lastError;
    if (!status.push && !status.pushError.isEmpty()) {
        QString why = tr("Push (/v1/watch) is down: %1").arg(status.pushError);
        if (status.pushRetryAt)
            why += tr("; tried again in %1 s")
                       .arg(std::max<std::int64_t>(
                           0, toMs(*status.pushRetryAt - m_clock.steadyNow()) / 1000));
        tip << why;
    }
    label->setToolTip(tip.join(u'\n'));
}

} // namespace rebound
