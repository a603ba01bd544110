#pragma once

#include "decision/RetryDecision.h"
#include "engine/TaskState.h"
#include "guards/CircuitBreaker.h"

#include <optional>

#include <QStyledItemDelegate>

namespace rebound {

/// Paints the state column as a coloured badge that reads well on light and dark palettes; each
/// ending (exhausted, deadline exceeded, not retryable, timed out, cancelled) has its own.
class StateBadgeDelegate final : public QStyledItemDelegate
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(StateBadgeDelegate)

public:
    using QStyledItemDelegate::QStyledItemDelegate;
    void paint(QPainter *painter, const QStyleOptionViewItem &option,
               const QModelIndex &index) const override;
    /// An ended task's colour is its ending's (why it stopped), the others their state's.
    static QColor colorFor(TaskState state, std::optional<StopReason> ending = std::nullopt);
    /// A breaker tier as an operator reads it (healthy, degraded, half-open, open, forced open)
    /// and its colour: the table and the charts' tiles say it the same way.
    static QString tierLabel(BreakerHealth health);
    static QColor tierColor(BreakerHealth health);
};

} // namespace rebound
