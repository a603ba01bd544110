#pragma once

#include "fleet/FleetStatus.h"

#include <QAbstractTableModel>

namespace rebound {

/// The fleet's members — what each said about the policies, the shards it holds, the time left
/// on its lease, where its retry rate limits are kept — one row per member.
class FleetMembersModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FleetMembersModel)

public:
    /// The columns, in order: written once here, used for headers, data and tests.
    enum Column
    {
        Member,
        Version,
        State,
        Shards,
        Lease,
        Budget,
        Detail,
        ColumnCount
    };

    explicit FleetMembersModel(QObject *parent = nullptr);

    /// A new reading: the same members in the same order update in place (one dataChanged);
    /// members joining or leaving reset the model.
    void setSnapshot(const FleetSnapshot &snapshot);
    const FleetSnapshot &snapshot() const { return m_snapshot; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    /// "runs", "refused" or "behind" — what a member's acknowledgement means against the
    /// published version.
    static QString stateOf(const MemberStatus &m, std::int64_t published);

private:
    FleetSnapshot m_snapshot;
};

} // namespace rebound
