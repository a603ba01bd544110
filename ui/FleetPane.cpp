#include "FleetPane.h"

#include "FleetMembersModel.h"
#include "fleet/CoordinationStore.h"
#include "fleet/FleetStatus.h"
#include "fleet/PolicyFeed.h"
#include "fleet/SharedRetryBudget.h"
#include "policy/PolicyStore.h"

#include <QHeaderView>
#include <QLabel>
#include <QPointer>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

namespace rebound {

FleetPane::FleetPane(CoordinationStore &coordination, FleetKeys keys, PolicyFeed &feed,
                     PolicyStore &store, QWidget *parent)
    : QWidget(parent), m_coordination(coordination), m_keys(std::move(keys)), m_feed(feed),
      m_store(store), m_model(new FleetMembersModel(this)), m_link(new QLabel(this)),
      m_published(new QLabel(this)), m_budget(new QLabel(this)), m_endpoints(new QLabel(this)),
      m_table(new QTableView(this)), m_timer(new QTimer(this))
{
    setObjectName(QStringLiteral("fleetPane"));
    m_link->setObjectName(QStringLiteral("fleetLink"));
    m_published->setObjectName(QStringLiteral("fleetPublished"));
    m_budget->setObjectName(QStringLiteral("fleetBudget"));
    m_budget->setWordWrap(true);
    m_budget->hide();
    m_endpoints->setObjectName(QStringLiteral("fleetEndpoints"));
    m_endpoints->setWordWrap(true);
    m_endpoints->setStyleSheet(QStringLiteral("color: palette(highlight)"));
    m_endpoints->hide();
    m_table->setObjectName(QStringLiteral("fleetMembers"));
    m_link->setWordWrap(true);
    m_published->setWordWrap(true);
    m_table->setModel(m_model);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 8);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(m_link);
    layout->addWidget(m_published);
    layout->addWidget(m_budget);
    layout->addWidget(m_endpoints);
    layout->addWidget(m_table, 1);
    connect(&m_feed.session(), &FleetSession::stateChanged, this, &FleetPane::showFeed);
    connect(&m_store, &PolicyStore::policiesChanged, this, &FleetPane::showFeed);
    connect(&m_feed, &PolicyFeed::versionSeen, this,
            [this](std::int64_t revision, bool ok, const QString &error) {
                if (!ok)
                    Q_EMIT notice(tr("Policy version %1 from the config centre was refused; this "
                                     "console keeps its policies: %2")
                                      .arg(revision)
                                      .arg(QString(error).replace(u'\n', QStringLiteral("; "))));
                refresh();
            });
    connect(m_timer, &QTimer::timeout, this, &FleetPane::refresh);
    m_timer->start(kRefreshMs);
    showFeed();
    refresh();
}

void FleetPane::setBudget(const SharedRetryBudget *budget)
{
    m_shared = budget;
    m_budget->setVisible(budget != nullptr);
    if (budget)
        connect(budget, &SharedRetryBudget::modeChanged, this, &FleetPane::showFeed);
    showFeed();
}

void FleetPane::showFeed()
{
    QString link;
    switch (m_feed.session().state()) {
    case FleetSession::State::Live:
        link = tr("Config centre %1: live").arg(m_coordination.address());
        break;
    case FleetSession::State::Connecting:
        link = tr("Config centre %1: connecting…").arg(m_coordination.address());
        break;
    case FleetSession::State::Disconnected:
        link = tr("Config centre %1: unreachable (%2); this console keeps its policies")
                   .arg(m_coordination.address(), m_feed.session().lastError());
        break;
    }
    if (!m_readError.isEmpty())
        link += tr("\nFleet status not read: %1").arg(m_readError);
    m_link->setText(link);
    const auto history = m_store.history();
    const QString mine =
        history.isEmpty() ? tr("built-in defaults") : tr("v%1").arg(history.last().number);
    const std::int64_t published = m_model->snapshot().policyRevision;
    m_published->setText(
        published == 0 ? tr("No policies published yet; this console runs %1.").arg(mine)
                       : tr("Published: v%1 · this console runs %2.").arg(published).arg(mine));
    // Members that spell an endpoint differently (or do not all watch it) decide nothing for
    // it: say who watches what.
    const auto sets = m_model->snapshot().endpointSets();
    m_endpoints->setVisible(sets.size() > 1);
    if (sets.size() > 1) {
        QStringList parts;
        for (auto it = sets.cbegin(); it != sets.cend(); ++it)
            parts << tr("%1: %2").arg(it.value().join(QStringLiteral(", ")),
                                      it.key().join(QStringLiteral(" ")));
        m_endpoints->setText(tr("Endpoints differ — nobody decides for an endpoint that not every "
                                "member watches under one spelling. %1.")
                                 .arg(parts.join(QStringLiteral("; "))));
    }
    if (m_shared) {
        m_budget->setText(
            m_shared->mode() == SharedRetryBudget::Mode::Shared
                ? tr("Retry rate limits: shared by the fleet through Redis.")
                : tr("Retry rate limits: this console's own share (%1), Redis "
                     "not in use: %2")
                      .arg(QStringLiteral("1/%1").arg(m_shared->divisor()), m_shared->cause()));
    }
}

void FleetPane::refresh()
{
    if (m_reading)
        return;
    m_reading = true;
    QPointer<FleetPane> self(this);
    FleetStatus::read(m_coordination, m_keys, [self](Result<FleetSnapshot> r) {
        if (!self)
            return;
        self->m_reading = false;
        self->m_readError = r ? QString() : r.error().message;
        if (r)
            self->m_model->setSnapshot(*r);
        self->showFeed();
    });
}

} // namespace rebound
