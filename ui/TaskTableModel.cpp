#include "TaskTableModel.h"

#include "TypeColors.h"

#include "StateBadgeDelegate.h"
#include "TaskRowText.h"
#include "engine/EngineView.h"
#include "policy/PolicySet.h"
#include "policy/PolicyStore.h"

#include <QColor>
#include <QDateTime>
#include <QIcon>
#include <QSet>
#include <QTimer>
#include <QUrl>

#include <algorithm>

namespace rebound {

TaskTableModel::TaskTableModel(EngineView &view, const Clock &clock, QObject *parent)
    : QAbstractTableModel(parent), m_view(view), m_clock(clock), m_text(view, clock),
      m_pausedIcon(QStringLiteral(":/rebound/icons/pause.svg")), m_tick(new QTimer(this))
{
    connect(&m_view, &EngineView::rowsUpdated, this, &TaskTableModel::applyBatch);
    connect(&m_view, &EngineView::rowsAboutToBeRemoved, this, &TaskTableModel::removeTasks);
    connect(m_tick, &QTimer::timeout, this, &TaskTableModel::tick);
    m_tick->start(1000);
    applyBatch(m_view.rows()); // what the engine watched before this view opened
}

int TaskTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

int TaskTableModel::rowOf(const QString &key) const
{
    const auto row = m_view.row(key);
    return row ? rowOfSerial(row->serial) : -1;
}

int TaskTableModel::rowOfSerial(int serial) const
{
    return serial >= 0 && std::size_t(serial) < m_rowOf.size() ? m_rowOf[std::size_t(serial)] : -1;
}

QVariant TaskTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    return orientation == Qt::Horizontal ? TaskRowText::header(section, role) : QVariant();
}

int TaskTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

void TaskTableModel::count(int row, int delta)
{
    const int s = m_states[row];
    m_counts[s] += delta;
    m_typeCounts[std::size_t(m_typeOf[row])][s] += delta;
}

void TaskTableModel::applyBatch(const QList<TaskRow> &tasks)
{
    // The engine's batches name each task once.
    QList<const TaskRow *> added;
    QList<int> changed;
    bool countsMoved = false;
    for (const TaskRow &t : tasks) {
        const int row = rowOfSerial(t.serial);
        if (row < 0) {
            added << &t;
            continue;
        }
        changed << row;
        m_rows[std::size_t(row)] = t;
        const auto state = static_cast<qint8>(t.condition.state);
        if (state != m_states[row]) {
            count(row, -1);
            m_states[row] = state;
            count(row, +1);
            countsMoved = true;
        }
    }
    if (!added.isEmpty()) {
        const int start = static_cast<int>(m_rows.size());
        beginInsertRows({}, start, start + static_cast<int>(added.size()) - 1);
        for (const TaskRow *t : std::as_const(added)) {
            const int row = static_cast<int>(m_rows.size());
            if (std::size_t(t->serial) >= m_rowOf.size())
                m_rowOf.resize(std::max(std::size_t(t->serial) + 1, m_rowOf.size() * 2), -1);
            m_rowOf[std::size_t(t->serial)] = row;
            m_rows.push_back(*t);
            m_states.push_back(static_cast<qint8>(t->condition.state));
            // A batch mostly repeats the previous row's type and endpoint: compare before
            // hashing.
            const auto intern = [](QHash<QString, int> &index, QStringList &list,
                                   std::vector<int> &of, const QString &s) {
                if (!of.empty() && list[of.back()] == s)
                    return of.back();
                // For the few dozen types and endpoints a console sees, comparing is cheaper
                // than hashing (perf at a million tasks: the hash was a sixth of the load).
                if (list.size() <= 64) {
                    for (qsizetype i = 0; i < list.size(); ++i)
                        if (list[i] == s)
                            return int(i);
                    list << s;
                    return *index.insert(s, int(list.size()) - 1);
                }
                const auto it = index.constFind(s);
                if (it != index.constEnd())
                    return *it;
                list << s;
                return *index.insert(s, int(list.size()) - 1);
            };
            m_typeOf.push_back(intern(m_typeIndex, m_types, m_typeOf, t->remote.type));
            m_endpointOf.push_back(intern(m_endpointIndex, m_endpoints, m_endpointOf, t->endpoint));
            if (m_typeCounts.size() < std::size_t(m_types.size()))
                m_typeCounts.resize(std::size_t(m_types.size()), StateCounts{});
            count(row, +1);
        }
        endInsertRows();
        countsMoved = true;
    }
    if (!changed.isEmpty()) {
        std::sort(changed.begin(), changed.end());
        changed.erase(std::unique(changed.begin(), changed.end()), changed.end());
        Q_EMIT rowsChanged(changed);
        ++m_dataChangedSignals;
        Q_EMIT dataChanged(index(changed.first(), 0), index(changed.last(), ColumnCount - 1));
    }
    if (countsMoved)
        Q_EMIT countsChanged();
}

void TaskTableModel::removeTasks(const QStringList &keys)
{
    const QSet<QString> gone(keys.cbegin(), keys.cend());
    QList<int> rows;
    for (int r = 0; r < int(m_rows.size()); ++r)
        if (gone.contains(m_rows[std::size_t(r)].key))
            rows << r;
    if (rows.isEmpty())
        return;
    std::sort(rows.begin(), rows.end(), std::greater<>());
    // From the bottom up, one removal per run of adjacent rows.
    for (qsizetype i = 0; i < rows.size();) {
        qsizetype j = i;
        while (j + 1 < rows.size() && rows[j + 1] == rows[j] - 1)
            ++j;
        const int first = rows[j], last = rows[i];
        beginRemoveRows({}, first, last);
        for (int r = first; r <= last; ++r)
            count(r, -1);
        m_rows.erase(m_rows.begin() + first, m_rows.begin() + last + 1);
        m_states.erase(m_states.begin() + first, m_states.begin() + last + 1);
        m_typeOf.erase(m_typeOf.begin() + first, m_typeOf.begin() + last + 1);
        m_endpointOf.erase(m_endpointOf.begin() + first, m_endpointOf.begin() + last + 1);
        endRemoveRows();
        i = j + 1;
    }
    std::fill(m_rowOf.begin(), m_rowOf.end(), -1);
    for (int r = 0; r < int(m_rows.size()); ++r)
        m_rowOf[std::size_t(m_rows[std::size_t(r)].serial)] = r;
    Q_EMIT countsChanged();
}

void TaskTableModel::refreshAll()
{
    if (m_rows.empty())
        return;
    ++m_dataChangedSignals;
    Q_EMIT dataChanged(index(0, 0), index(static_cast<int>(m_rows.size()) - 1, ColumnCount - 1));
}

void TaskTableModel::tick()
{
    if (m_rows.empty())
        return;
    // Only the countdown column moves with time: one signal for the whole column.
    ++m_dataChangedSignals;
    Q_EMIT dataChanged(index(0, NextRetry), index(static_cast<int>(m_rows.size()) - 1, NextRetry),
                       {Qt::DisplayRole});
}

StateCounts TaskTableModel::stateCounts(const QString &type) const
{
    if (type.isEmpty())
        return m_counts;
    const int i = typeIndex(type);
    return i < 0 ? StateCounts{} : m_typeCounts[std::size_t(i)];
}

QStringList TaskTableModel::taskTypes() const
{
    QStringList types;
    for (qsizetype i = 0; i < m_types.size(); ++i) {
        const StateCounts &c = m_typeCounts[std::size_t(i)];
        if (std::any_of(c.begin(), c.end(), [](int n) { return n > 0; }))
            types << m_types[i];
    }
    types.sort();
    return types;
}

QVariant TaskTableModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || std::size_t(index.row()) >= m_rows.size())
        return {};
    const TaskRow *t = &m_rows[std::size_t(index.row())];
    const RemoteTask &r = t->remote;
    switch (role) {
    case KeyRole:
        return t->key;
    case StateRole:
        return int(t->condition.state);
    case EndingRole:
        return t->condition.stopReason ? int(*t->condition.stopReason) : -1;
    case TypeRole:
        return r.type;
    case EndpointRole:
        return t->endpoint;
    case TaskIdRole:
        return r.id;
    default:
        break;
    }
    if (role == Qt::DecorationRole && index.column() == Type) // paused, or the type's colour
        return m_view.isPaused(r.type) ? QVariant(m_pausedIcon) : QVariant(TypeColors::of(r.type));
    if (role == Qt::DisplayRole || role == SortRole || role == Qt::ToolTipRole) {
        switch (index.column()) {
        case Endpoint:
            if (role == Qt::DisplayRole)
                return TaskRowText::shortEndpoint(t->endpoint);
            return t->endpoint;
        case Id:
            return r.id;
        case Type:
            if (role == Qt::DisplayRole && m_view.isPaused(r.type))
                return tr("%1 · paused").arg(r.type);
            if (role == Qt::ToolTipRole && m_view.isPaused(r.type))
                return tr("Automatic retries of %1 are paused until an operator resumes them")
                    .arg(r.type);
            return r.type;
        case State:
            if (role == SortRole)
                return attentionRank(t->condition.state);
            if (role == Qt::ToolTipRole) {
                // The cause, in the engine's words: why it waits, why it stopped.
                if (t->condition.deferReason)
                    return m_text.waitText(*t);
                if (const QString ending = m_text.endingToolTip(*t); !ending.isEmpty())
                    return ending;
            }
            return TaskRowText::badgeLabel(t->condition);
        case Attempt: {
            if (role == SortRole)
                return r.attempt;
            return tr("%1 / %2").arg(r.attempt).arg(m_view.maxAttemptsFor(r.type));
        }
        case NextRetry: {
            // An endpoint the fleet spells differently: nobody here decides its tasks.
            if (role != SortRole) {
                if (const QString why = m_view.refusalOf(t->endpoint); !why.isEmpty())
                    return role == Qt::ToolTipRole ? why : tr("not decided: endpoint refused");
            }
            // A task whose shard nobody holds waits for its next owner, whatever was decided.
            if (role != SortRole && !t->decidedBy.isEmpty() &&
                m_view.ownerOf(t->endpoint, r.id) == std::optional<QString>(QString()))
                return tr("owner %1 left; shard moving").arg(t->decidedBy);
            // A deferral names what it waits for and until when; a scheduled retry its time.
            if (t->condition.deferReason && role != SortRole)
                return m_text.waitText(*t);
            const auto nextRetry = m_view.nextAttemptAt(t->endpoint, r.id);
            if (!nextRetry)
                return role == SortRole ? QVariant(qint64(std::numeric_limits<qint64>::max()))
                                        : QVariant();
            const auto ms = std::max<std::int64_t>(0, toMs(*nextRetry - m_clock.steadyNow()));
            if (role == SortRole)
                return qint64(ms);
            return ms >= 1000
                       ? tr("%1 (in %2 s)").arg(m_text.wallTime(*nextRetry)).arg((ms + 999) / 1000)
                       : tr("%1 (now)").arg(m_text.wallTime(*nextRetry));
        }
        case LastError: {
            if (!r.lastAttempt || r.lastAttempt->outcome == AttemptOutcome::Succeeded ||
                r.lastAttempt->outcome == AttemptOutcome::Running)
                return t->lastError.isEmpty() ? QVariant() : QVariant(t->lastError);
            const RemoteAttempt &a = *r.lastAttempt;
            QString s = a.outcome == AttemptOutcome::Timeout ? tr("timeout") : tr("failed");
            if (a.httpStatus)
                s += QStringLiteral(" · HTTP %1").arg(*a.httpStatus);
            if (a.problem && !a.problem->title.isEmpty())
                s += QStringLiteral(" · ") + a.problem->title;
            if (role == Qt::ToolTipRole && a.problem) {
                if (!a.problem->detail.isEmpty())
                    s += u'\n' + a.problem->detail;
                s += u'\n' + a.problem->type;
            }
            return s;
        }
        case Breaker:
            return StateBadgeDelegate::tierLabel(m_view.breakerHealth(t->endpoint, r.type));
        case Owner: {
            const auto owner = m_view.ownerOf(t->endpoint, r.id);
            if (!owner)
                return {};
            if (owner->isEmpty())
                return role == Qt::ToolTipRole
                           ? tr("Nobody holds this task's shard now: it moves to another member")
                           : tr("— moving");
            return *owner;
        }
        case Updated:
            if (role == SortRole)
                return qint64(r.updatedAtMs);
            return QDateTime::fromMSecsSinceEpoch(r.updatedAtMs)
                .toString(QStringLiteral("HH:mm:ss"));
        default:
            break;
        }
    }
    if (role == Qt::TextAlignmentRole && index.column() == Attempt)
        return int(Qt::AlignRight | Qt::AlignVCenter);
    return {};
}

bool TaskTableModel::lessThan(int leftRow, int rightRow, int column) const
{
    const TaskRow *a = &m_rows[std::size_t(leftRow)];
    const TaskRow *b = &m_rows[std::size_t(rightRow)];
    switch (column) {
    case Endpoint:
        return a->endpoint < b->endpoint;
    case Owner:
        return m_view.ownerOf(a->endpoint, a->remote.id).value_or(QString()) <
               m_view.ownerOf(b->endpoint, b->remote.id).value_or(QString());
    case Id:
        return a->remote.id < b->remote.id;
    case Type:
        return a->remote.type < b->remote.type;
    case State: {
        // Needs attention first; newest first within a state.
        const int x = attentionRank(stateAt(leftRow));
        const int y = attentionRank(stateAt(rightRow));
        return x != y ? x < y : a->remote.updatedAtMs > b->remote.updatedAtMs;
    }
    case Attempt:
        return a->remote.attempt < b->remote.attempt;
    case NextRetry: {
        const auto x = m_view.nextAttemptAt(a->endpoint, a->remote.id);
        const auto y = m_view.nextAttemptAt(b->endpoint, b->remote.id);
        return x && (!y || *x < *y);
    }
    case Updated:
        return a->remote.updatedAtMs < b->remote.updatedAtMs;
    default:
        return index(leftRow, column).data(SortRole).toString() <
               index(rightRow, column).data(SortRole).toString();
    }
}

TaskTableModel::SortKeys TaskTableModel::sortKeys(int column) const
{
    const int n = static_cast<int>(m_rows.size());
    std::vector<SortKey> keys(static_cast<std::size_t>(n), SortKey{});
    switch (column) {
    case State:
    case Attempt:
    case Updated:
        for (int r = 0; r < n; ++r)
            keys[r] = *exactSortKey(r, column);
        return {std::move(keys), true};
    case Id:
    case Type:
    case Endpoint:
        break;
    default:
        return {};
    }
    const auto text = [this, column](int r) -> const QString & {
        const TaskRow *t = &m_rows[std::size_t(r)];
        return column == Id ? t->remote.id : column == Type ? t->remote.type : t->endpoint;
    };
    // The prefix every row shares says nothing about the order: the window starts after it.
    qsizetype common = n ? text(0).size() : 0;
    for (int r = 1; r < n && common > 0; ++r) {
        const QString &a = text(0), &b = text(r);
        qsizetype i = 0;
        const qsizetype m = std::min({common, a.size(), b.size()});
        while (i < m && a[i] == b[i])
            ++i;
        common = i;
    }
    for (int r = 0; r < n; ++r) {
        const QString &s = text(r);
        const auto unit = [&](qsizetype i) {
            return i < s.size() ? quint64(s[i].unicode()) : quint64(0);
        };
        quint64 hi = 0, lo = 0;
        for (qsizetype i = 0; i < 4; ++i) {
            hi = (hi << 16) | unit(common + i);
            lo = (lo << 16) | unit(common + 4 + i);
        }
        keys[r] = {hi, lo, r};
    }
    return {std::move(keys), false};
}

std::optional<TaskTableModel::SortKey> TaskTableModel::exactSortKey(int row, int column) const
{
    const auto clampMs = [](std::int64_t ms) { return quint64(std::max<std::int64_t>(0, ms)); };
    const RemoteTask &t = m_rows[std::size_t(row)].remote;
    switch (column) {
    case State: // needs attention first, newest first within a state
        return SortKey{quint64(attentionRank(stateAt(row))), ~clampMs(t.updatedAtMs), row};
    case Attempt:
        return SortKey{quint64(qint64(t.attempt) + (qint64(1) << 32)), 0, row};
    case Updated:
        return SortKey{clampMs(t.updatedAtMs), 0, row};
    default:
        return std::nullopt;
    }
}

TaskTableModel::TextQuery TaskTableModel::prepareText(const QString &text) const
{
    TextQuery q{QStringMatcher(text, Qt::CaseInsensitive), {}, {}, {}, false};
    if (text.startsWith(QLatin1String("id:"), Qt::CaseInsensitive)) {
        q.exact = text.mid(3).trimmed();
        q.idOnly = true;
    } else if (text.size() >= 2 && text.startsWith(u'"') && text.endsWith(u'"')) {
        q.exact = text.mid(1, text.size() - 2);
    }
    const auto matches = [&q](const QString &s) {
        return q.exact.isNull() ? q.matcher.indexIn(s) >= 0 : !q.idOnly && s == q.exact;
    };
    for (const QString &t : m_types)
        q.typeMatches.push_back(matches(t));
    for (const QString &e : m_endpoints)
        q.endpointMatches.push_back(matches(e));
    return q;
}

bool TaskTableModel::matchesText(int row, const TextQuery &query) const
{
    const QStringMatcher &matcher = query.matcher;
    const QString text = matcher.pattern();
    if (query.typeMatches[std::size_t(m_typeOf[row])] ||
        query.endpointMatches[std::size_t(m_endpointOf[row])])
        return true;
    const TaskRow *t = &m_rows[std::size_t(row)];
    if (!query.exact.isNull()) {
        if (t->remote.id == query.exact)
            return true;
        const auto owner = query.idOnly ? std::nullopt : m_view.ownerOf(t->endpoint, t->remote.id);
        return owner && *owner == query.exact;
    }
    if (matcher.indexIn(t->remote.id) >= 0)
        return true;
    // In a fleet, the owner: "watch-2" shows what that member decides.
    if (const auto owner = m_view.ownerOf(t->endpoint, t->remote.id);
        owner && matcher.indexIn(*owner) >= 0)
        return true;
    // The error column's parts, without formatting the whole cell for every row.
    if (const auto &a = t->remote.lastAttempt; a && a->outcome != AttemptOutcome::Succeeded) {
        if (a->problem &&
            (matcher.indexIn(a->problem->title) >= 0 || matcher.indexIn(a->problem->type) >= 0))
            return true;
        if (a->httpStatus && QString::number(*a->httpStatus).contains(text))
            return true;
        if (a->outcome == AttemptOutcome::Timeout &&
            QStringLiteral("timeout").contains(text, Qt::CaseInsensitive))
            return true;
    }
    return !t->lastError.isEmpty() && matcher.indexIn(t->lastError) >= 0;
}

} // namespace rebound
