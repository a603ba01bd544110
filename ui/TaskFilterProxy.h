#pragma once

#include "TaskState.h"

#include <QSortFilterProxyModel>
#include <QStringMatcher>

namespace rebound {

/// The filter bar's logic: free text (id, type, error), a state, a type, "retrying only" and
/// "exhausted only". Sorting uses the model's raw SortRole values.
class TaskFilterProxy final : public QSortFilterProxyModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TaskFilterProxy)

public:
    explicit TaskFilterProxy(QObject *parent = nullptr);

    void setText(const QString &text);
    void setState(std::optional<TaskState> state); ///< nullopt: any
    void setType(const QString &type);   ///< empty: any
    void setRetryingOnly(bool on);
    void setExhaustedOnly(bool on);

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;
    bool lessThan(const QModelIndex &left, const QModelIndex &right) const override;

private:
    QString m_text;
    QStringMatcher m_matcher; ///< precompiled, case-insensitive

    std::optional<TaskState> m_state;
    QString m_type;
    bool m_retryingOnly = false;
    bool m_exhaustedOnly = false;
};

} // namespace rebound
