#include "ChartsPane.h"

#include "BreakerTiles.h"
#include "LatencyChart.h"
#include "PressureChart.h"
#include "RatesChart.h"
#include "engine/EngineView.h"
#include "policy/PolicyStore.h"

#include <QChartView>
#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QTimer>
#include <QVBoxLayout>
#include <QValueAxis>

namespace rebound {

ChartsPane::ChartsPane(EngineView &view, const Clock &clock, QWidget *parent)
    : QWidget(parent), m_view(view), m_clock(clock), m_tiles(new BreakerTiles(view, this)),
      m_window(new QComboBox(this)), m_pause(new QCheckBox(tr("Pause"), this))
{
    setObjectName(QStringLiteral("chartsPane"));
    // The charts, top to bottom: a new one is one line here.
    m_panels.push_back(std::make_unique<RatesChart>(view, this));
    m_panels.push_back(std::make_unique<LatencyChart>(m_samples, this));
    m_panels.push_back(std::make_unique<PressureChart>(m_samples, this));

    m_window->setObjectName(QStringLiteral("chartWindow"));
    m_window->setToolTip(tr("How far back the charts look (until picked, it fits the data)"));
    for (int m : {1, 5, 15, 60})
        m_window->addItem(tr("%1 min").arg(m), m);
    m_window->setCurrentIndex(0);
    m_pause->setObjectName(QStringLiteral("chartPause"));
    m_pause->setToolTip(tr("Freeze the charts (sampling goes on)"));
    auto *controls = new QHBoxLayout;
    controls->addWidget(m_window);
    controls->addWidget(m_pause);
    controls->addStretch();
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(controls);
    layout->addWidget(m_tiles);
    m_chartsLayout = new QBoxLayout(QBoxLayout::TopToBottom);
    for (const auto &panel : m_panels)
        m_chartsLayout->addWidget(panel->view(), 1);
    layout->addLayout(m_chartsLayout, 1);

    connect(&m_view, &EngineView::rowsUpdated, this, &ChartsPane::onRows);
    connect(&m_view, &EngineView::breakerTransition, m_tiles, &BreakerTiles::refresh);
    connect(&m_view, &EngineView::rowsAboutToBeRemoved, m_tiles, &BreakerTiles::forget);
    connect(&m_view.policySource(), &PolicyStore::policiesChanged, this, [this](int version) {
        for (const auto &panel : m_panels)
            panel->policyApplied(m_clock.wallNowMs(), version);
        m_dirty = true;
    });
    connect(m_window, &QComboBox::activated, this, [this] { m_windowChosen = true; });
    connect(m_window, &QComboBox::currentIndexChanged, this, [this] {
        m_dirty = true;
        tick();
    });
    auto *timer = new QTimer(this);
    connect(timer, &QTimer::timeout, this, &ChartsPane::tick);
    timer->start(500);
}

ChartsPane::~ChartsPane() = default;

void ChartsPane::setWide(bool wide)
{
    m_chartsLayout->setDirection(wide ? QBoxLayout::LeftToRight : QBoxLayout::TopToBottom);
}

void ChartsPane::onRows(const QList<TaskRow> &rows)
{
    m_samples.record(rows, m_clock.wallNowMs());
    m_tiles->rows(rows);
    for (const auto &panel : m_panels)
        panel->rows(rows);
    m_dirty = true;
}

void ChartsPane::fitWindow()
{
    if (m_windowChosen || !m_firstSampleMs)
        return;
    const double spanMin = double(m_clock.wallNowMs() - m_firstSampleMs) / 60'000.0;
    int pick = m_window->count() - 1;
    for (int i = 0; i < m_window->count(); ++i)
        if (m_window->itemData(i).toDouble() >= spanMin) {
            pick = i;
            break;
        }
    if (pick != m_window->currentIndex()) {
        QSignalBlocker block(m_window);
        m_window->setCurrentIndex(pick);
    }
}

void ChartsPane::tick()
{
    const std::int64_t now = m_clock.wallNowMs();
    if (++m_tick % 4 == 0) { // every 2 s
        if (!m_firstSampleMs)
            m_firstSampleMs = now;
        m_tiles->refresh();
        for (const auto &panel : m_panels)
            panel->sample(now);
        m_samples.sampleBudget(m_view.allowedConcurrentRetries(), now);
        m_dirty = true;
    }
    if (!m_dirty || m_pause->isChecked() || !isVisible())
        return;
    m_dirty = false;
    fitWindow();
    const ChartPanel::Window window{now, m_window->currentData().toDouble()};
    for (const auto &panel : m_panels) {
        panel->draw(window);
        auto *axis =
            static_cast<QValueAxis *>(panel->view()->chart()->axes(Qt::Horizontal).first());
        axis->setRange(-window.minutes, 0);
        // Ticks on round minutes: 0.2 for the last minute, 1 for five, 5 for 15, 15 for 60.
        const double step = window.minutes <= 1    ? 0.2
                            : window.minutes <= 5  ? 1
                            : window.minutes <= 15 ? 5
                                                   : 15;
        axis->setTickCount(int(window.minutes / step) + 1);
        axis->setLabelFormat(step < 1 ? QStringLiteral("%.1f") : QStringLiteral("%.0f"));
    }
}

} // namespace rebound
