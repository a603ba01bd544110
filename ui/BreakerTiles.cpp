#include "BreakerTiles.h"

#include "StateBadgeDelegate.h"
#include "TaskRowText.h"
#include "engine/EngineView.h"

#include <QHBoxLayout>
#include <QLabel>

namespace rebound {

BreakerTiles::BreakerTiles(const EngineView &engine, QWidget *parent)
    : QWidget(parent), m_engine(engine)
{
    setObjectName(QStringLiteral("breakerTiles"));
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(4);
    layout->addStretch();
}

QString BreakerTiles::healthText(const std::optional<HealthScore> &s)
{
    if (!s)
        return tr("health: no calls seen");
    if (!s->enoughData())
        return tr("health: %1 of %2 calls seen, not judged yet").arg(s->calls).arg(s->minimumCalls);
    return tr("health: %1 — errors %2 %, latency %3 (score %4)")
        .arg(s->unhealthy ? tr("unhealthy, retries wait") : tr("healthy"))
        .arg(qRound(s->errorRate * 100))
        .arg(TaskRowText::latencyText(s->meanLatencyMs))
        .arg(s->score, 0, 'f', 2);
}

void BreakerTiles::refresh()
{
    auto *layout = static_cast<QHBoxLayout *>(this->layout());
    for (const auto &[endpoint, type] : m_engine.breakerKeys()) {
        QLabel *&tile = m_tiles[type];
        if (!tile) {
            tile = new QLabel(this);
            tile->setObjectName(QStringLiteral("breakerTile.") + type);
            tile->setAlignment(Qt::AlignCenter);
            layout->insertWidget(layout->count() - 1, tile);
        }
        const BreakerHealth h = m_engine.breakerHealth(endpoint, type);
        const BreakerMetrics m = m_engine.breakerMetrics(endpoint, type);
        tile->setText(QStringLiteral("%1\n%2").arg(type, StateBadgeDelegate::tierLabel(h)));
        tile->setToolTip(
            tr("%1: breaker %2\nfailure rate %3 · slow calls %4\n%5")
                .arg(type, StateBadgeDelegate::tierLabel(h),
                     m.failureRate < 0 ? tr("not judged yet")
                                       : QStringLiteral("%1%").arg(m.failureRate, 0, 'f', 0),
                     m.slowCallRate < 0 ? tr("not judged yet")
                                        : QStringLiteral("%1%").arg(m.slowCallRate, 0, 'f', 0),
                     healthText(m_engine.healthScore(endpoint, type))));
        tile->setStyleSheet(
            QStringLiteral("QLabel { color: white; background: %1; padding: 3px 8px; "
                           "border-radius: 4px; }")
                .arg(StateBadgeDelegate::tierColor(h).name()));
    }
}

} // namespace rebound
