#pragma once

#include "fleet/FleetKeys.h"

#include <QWidget>

class QLabel;
class QTableView;
class QTimer;

namespace rebound {

class CoordinationStore;
class FleetMembersModel;
class PolicyFeed;
class PolicyStore;
class SharedRetryBudget;

/// The Fleet dock: this console's link to the config centre, the published policy version,
/// and every member's acknowledgement (which version it runs, which it refused and why), read
/// from the coordination store every 2 s.
class FleetPane final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FleetPane)

public:
    FleetPane(CoordinationStore &coordination, FleetKeys keys, PolicyFeed &feed, PolicyStore &store,
              QWidget *parent = nullptr);

    FleetMembersModel *model() const { return m_model; }
    /// Shows where the retry rate limits are kept: shared through Redis, or this console's 1/N.
    void setBudget(const SharedRetryBudget *budget);
    /// Reads the fleet now (also every 2 s).
    void refresh();

    static constexpr int kRefreshMs = 2000;

Q_SIGNALS:
    /// Something the operator should hear (a version this console refused).
    void notice(const QString &text);

private:
    void showFeed();

    CoordinationStore &m_coordination;
    FleetKeys m_keys;
    PolicyFeed &m_feed;
    PolicyStore &m_store;
    FleetMembersModel *m_model;
    QLabel *m_link;
    QLabel *m_published;
    QLabel *m_budget;
    QLabel *m_endpoints; ///< shown while members watch differing endpoint sets
    const SharedRetryBudget *m_shared = nullptr;
    QTableView *m_table;
    QTimer *m_timer;
    bool m_reading = false;
    QString m_readError;
};

} // namespace rebound
