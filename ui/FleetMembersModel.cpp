#include "FleetMembersModel.h"

#include <QBrush>
#include <QColor>

namespace rebound {

FleetMembersModel::FleetMembersModel(QObject *parent) : QAbstractTableModel(parent) {}

void FleetMembersModel::setSnapshot(const FleetSnapshot &snapshot)
{
    const bool sameRows =
        snapshot.members.size() == m_snapshot.members.size() &&
        std::equal(
            snapshot.members.cbegin(), snapshot.members.cend(), m_snapshot.members.cbegin(),
            [](const MemberStatus &a, const MemberStatus &b) { return a.member == b.member; });
    if (!sameRows) {
        beginResetModel();
        m_snapshot = snapshot;
        endResetModel();
        return;
    }
    m_snapshot = snapshot;
    if (!m_snapshot.members.isEmpty())
        Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
}

int FleetMembersModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_snapshot.members.size());
}

int FleetMembersModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString FleetMembersModel::stateOf(const MemberStatus &m, std::int64_t published)
{
    if (m.revision == 0)
        return tr("no answer yet");
    if (m.revision == published)
        return m.ok ? tr("runs") : tr("refused");
    // It looked at another version last: an older one (this one not reached it yet), or the
    // published one was written after it (a publish moments ago).
    return m.ok ? tr("behind") : tr("refused v%1").arg(m.revision);
}

QVariant FleetMembersModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const MemberStatus &m = m_snapshot.members.at(index.row());
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
        case Member:
            return m.member;
        case Version:
            return m.revision > 0 ? QStringLiteral("v%1").arg(m.revision) : QStringLiteral("–");
        case State:
            return stateOf(m, m_snapshot.policyRevision);
        case Shards:
            return m.registered ? QVariant(m.shards) : QVariant(QStringLiteral("–"));
        case Lease:
            return m.leaseTtl >= 0 ? tr("%1 s").arg(m.leaseTtl) : QStringLiteral("–");
        case Budget:
            return m.budget.isEmpty() ? QStringLiteral("–") : m.budget;
        case Detail:
            return m.error.section(u'\n', 0, 0);
        default:
            return {};
        }
    }
    if (role == Qt::ToolTipRole && index.column() == Detail && !m.error.isEmpty())
        return m.error; // every reason, not only the first
    if (role == Qt::ToolTipRole && index.column() == Budget && !m.budgetCause.isEmpty())
        return m.budgetCause;
    if (role == Qt::ForegroundRole && index.column() == State && !m.ok && m.revision > 0)
        return QBrush(QColor(0xb0, 0x20, 0x20));
    return {};
}

QVariant FleetMembersModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Member:
        return tr("Member");
    case Version:
        return tr("Policy");
    case State:
        return tr("State");
    case Shards:
        return tr("Shards");
    case Lease:
        return tr("Lease");
    case Budget:
        return tr("Retry budget");
    case Detail:
        return tr("Why refused");
    default:
        return {};
    }
}

} // namespace rebound
