#include "BreakerTiles.h"

#include "StateBadgeDelegate.h"
#include "TaskRowText.h"
#include "TypeColors.h"
#include "engine/EngineView.h"
#include "engine/TaskRow.h"

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
        const QString waiting = waitingText(type);
        tile->setText(QStringLiteral("%1\n%2").arg(type, StateBadgeDelegate::tierLabel(h)) +
                      (waiting.isEmpty() ? QString() : u'\n' + waiting));
        tile->setToolTip(
            tr("%1: breaker %2\nfailure rate %3 · slow calls %4\n%5")
                .arg(type, StateBadgeDelegate::tierLabel(h),
                     m.failureRate < 0 ? tr("not judged yet")
                                       : QStringLiteral("%1%").arg(m.failureRate, 0, 'f', 0),
                     m.slowCallRate < 0 ? tr("not judged yet")
                                        : QStringLiteral("%1%").arg(m.slowCallRate, 0, 'f', 0),
                     healthText(m_engine.healthScore(endpoint, type))));
        // The tier's colour, edged with the type's own (its chart lines and table cells).
        tile->setStyleSheet(
            QStringLiteral("QLabel { color: white; background: %1; padding: 3px "
                           "8px; border-radius: 4px; border-left: 6px solid %2; }")
                .arg(StateBadgeDelegate::tierColor(h).name(), TypeColors::of(type).name()));
    }
}

void BreakerTiles::rows(const QList<TaskRow> &rows)
{
    for (const TaskRow &r : rows) {
        stopWaiting(r.key);
        if (!r.condition.deferReason)
            continue;
        const int reason = int(*r.condition.deferReason);
        if (reason < 0 || reason >= 4)
            continue;
        m_waiting.insert(r.key, {r.remote.type, reason});
        ++m_waitingCounts[r.remote.type][std::size_t(reason)];
    }
}

void BreakerTiles::forget(const QStringList &keys)
{
    for (const QString &key : keys)
        stopWaiting(key);
}

void BreakerTiles::stopWaiting(const QString &key)
{
    if (const auto was = m_waiting.constFind(key); was != m_waiting.constEnd()) {
        --m_waitingCounts[was->first][std::size_t(was->second)];
        m_waiting.erase(was);
    }
}

QString BreakerTiles::waitingText(const QString &type) const
{
    const std::array<int, 4> counts = m_waitingCounts.value(type);
    // In DeferReason's order: breaker, budget, unhealthy, paused.
    static const char *const kWords[] = {QT_TR_NOOP("breaker"), QT_TR_NOOP("budget"),
                                         QT_TR_NOOP("unhealthy"), QT_TR_NOOP("paused")};
    QStringList parts;
    int total = 0;
    for (std::size_t i = 0; i < counts.size(); ++i) {
        if (counts[i] <= 0)
            continue;
        total += counts[i];
        parts << QStringLiteral("%1 %2").arg(counts[i]).arg(tr(kWords[i]));
    }
    if (total == 0)
        return {};
    return tr("%1 waiting: %2").arg(total).arg(parts.join(QStringLiteral(" · ")));
}

} // namespace rebound
