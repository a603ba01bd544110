#include "LiveViewControl.h"

#include "TaskFilterProxy.h"
#include "TaskTableView.h"

#include <QHBoxLayout>
#include <QShortcut>
#include <QStyle>
#include <QToolButton>

namespace rebound {

LiveViewControl::LiveViewControl(TaskFilterProxy *proxy, TaskTableView *table, QWidget *parent)
    : QWidget(parent), m_proxy(proxy), m_pause(new QToolButton(this)),
      m_apply(new QToolButton(this))
{
    m_pause->setObjectName(QStringLiteral("pauseLiveView"));
    m_pause->setCheckable(true);
    m_pause->setText(tr("Pause live view"));
    m_pause->setIcon(style()->standardIcon(QStyle::SP_MediaPause));
    m_pause->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_pause->setToolTip(tr("Hold the rows where they are (Space in the table); the counts "
                           "still follow every change"));
    m_apply->setObjectName(QStringLiteral("applyHeldChanges"));
    m_apply->setToolTip(tr("Place the held rows now"));
    m_apply->hide();
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_apply);
    layout->addWidget(m_pause);
    connect(m_pause, &QToolButton::toggled, this, [this] { refresh(); });
    connect(m_apply, &QToolButton::clicked, m_proxy, &TaskFilterProxy::applyHeld);
    connect(m_proxy, &TaskFilterProxy::heldChangesChanged, this, [this] { refresh(); });
    connect(table, &TaskTableView::pointerOverRows, this, &LiveViewControl::setPointerOver);
    auto *space = new QShortcut(QKeySequence(Qt::Key_Space), table);
    space->setContext(Qt::WidgetShortcut); // in the table only: the filter takes spaces
    connect(space, &QShortcut::activated, this, &LiveViewControl::togglePaused);
}

void LiveViewControl::setPointerOver(bool over)
{
    m_pointerOver = over;
    refresh();
}

void LiveViewControl::setPaused(bool paused)
{
    m_pause->setChecked(paused);
}

bool LiveViewControl::isPaused() const
{
    return m_pause->isChecked();
}

void LiveViewControl::refresh()
{
    m_proxy->setHeld(isPaused() || m_pointerOver);
    m_pause->setText(isPaused() ? tr("Resume live view") : tr("Pause live view"));
    m_pause->setIcon(
        style()->standardIcon(isPaused() ? QStyle::SP_MediaPlay : QStyle::SP_MediaPause));
    const int held = m_proxy->heldChanges();
    m_apply->setVisible(held > 0);
    m_apply->setText(isPaused() ? tr("%n change(s) held — apply", nullptr, held)
                                : tr("%n held while you point — apply", nullptr, held));
}

} // namespace rebound
