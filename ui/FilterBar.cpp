#include "FilterBar.h"

#include "LiveViewControl.h"
#include "StateBadgeDelegate.h"
#include "TaskFilterProxy.h"
#include "TaskRowText.h"
#include "TaskTableModel.h"

#include <QApplication>
#include <QComboBox>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLineEdit>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>
#include <array>

namespace rebound {

FilterBar::FilterBar(TaskTableModel *model, TaskFilterProxy *proxy, TaskTableView *table,
                     QWidget *parent)
    : QWidget(parent), m_model(model), m_proxy(proxy)
{
    auto *bar = new QHBoxLayout;
    m_text = new QLineEdit(this);
    m_text->setObjectName(QStringLiteral("filterText"));
    m_text->setPlaceholderText(tr("Filter by id, type, endpoint or error… (Ctrl+F)"));
    m_text->setToolTip(tr("Shows the tasks whose id, type, endpoint or last error contains "
                          "this text (any case).\nid:tsk-27 shows that task only; \"pdf.render\" "
                          "shows an exact id, type, endpoint or owner."));
    m_text->setClearButtonEnabled(true);
    m_text->installEventFilter(this);
    m_type = new QComboBox(this);
    m_type->setObjectName(QStringLiteral("typeFilter"));
    m_type->setToolTip(tr("Only tasks of this type; the state counts then count this type"));
    m_type->addItem(tr("All types"), QString());
    m_type->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_updated = new QComboBox(this);
    m_updated->setObjectName(QStringLiteral("updatedFilter"));
    m_updated->setToolTip(tr("Only tasks the service changed this recently"));
    m_updated->addItem(tr("Any time"), 0);
    m_updated->addItem(tr("Last 15 min"), 15 * 60'000);
    m_updated->addItem(tr("Last hour"), 60 * 60'000);
    m_updated->addItem(tr("Last 24 h"), 24 * 60 * 60'000);
    bar->addWidget(m_text, 1);
    bar->addWidget(m_type);
    bar->addWidget(m_updated);
    m_liveView = new LiveViewControl(m_proxy, table, this);
    bar->addWidget(m_liveView);

    // The state counts, in the engine's attention order: each one a filter (Ctrl+click adds).
    auto *counts = new QHBoxLayout;
    counts->setSpacing(2);
    m_allStates = new QToolButton(this);
    m_allStates->setObjectName(QStringLiteral("stateCount.all"));
    m_allStates->setCheckable(true);
    m_allStates->setChecked(true);
    m_allStates->setToolTip(tr("Show tasks in every state"));
    counts->addWidget(m_allStates);
    std::array<TaskState, TaskStateCount> states{};
    for (int i = 0; i < TaskStateCount; ++i)
        states[i] = static_cast<TaskState>(i);
    std::sort(states.begin(), states.end(),
              [](TaskState a, TaskState b) { return attentionRank(a) < attentionRank(b); });
    m_stateButtons.resize(TaskStateCount);
    for (TaskState s : states) {
        auto *b = new QToolButton(this);
        b->setObjectName(QStringLiteral("stateCount.") + toText(s));
        b->setCheckable(true);
        b->setToolTip(tr("Show only %1 tasks (Ctrl+click: add to the shown states)")
                          .arg(TaskRowText::stateLabel(s)));
        const QColor c = StateBadgeDelegate::colorFor(s);
        b->setStyleSheet(
            QStringLiteral("QToolButton { border-left: 4px solid %1; padding: 1px 6px; }"
                           "QToolButton:checked { background: %2; }")
                .arg(c.name(), c.lighter(170).name()));
        counts->addWidget(b);
        m_stateButtons[int(s)] = b;
        connect(b, &QToolButton::clicked, this, [this, s](bool) {
            TaskFilterProxy::StateMask mask = m_proxy->states();
            if (QApplication::keyboardModifiers() & Qt::ControlModifier)
                mask ^= TaskFilterProxy::bit(s);
            else
                mask = mask == TaskFilterProxy::bit(s) ? 0 : TaskFilterProxy::bit(s);
            m_proxy->setStates(mask);
            updateCounts();
        });
    }
    counts->addStretch(1);
    connect(m_allStates, &QToolButton::clicked, this, [this] {
        m_proxy->setStates(0);
        updateCounts();
    });
    auto *box = new QVBoxLayout(this);
    box->setContentsMargins(0, 0, 0, 0);
    box->addLayout(bar);
    box->addLayout(counts);
    connect(m_text, &QLineEdit::textChanged, m_proxy, &TaskFilterProxy::setText);
    connect(m_type, &QComboBox::currentIndexChanged, this, [this] {
        m_proxy->setType(m_type->currentData().toString());
        updateCounts();
    });
    connect(m_updated, &QComboBox::currentIndexChanged, this, &FilterBar::applyUpdated);
    auto *slide = new QTimer(this);
    connect(slide, &QTimer::timeout, this, [this] {
        // Not while the rows are held: the operator's rows do not leave under the cursor.
        if (m_updated->currentData().toLongLong() > 0 && !m_proxy->isHeld())
            applyUpdated();
    });
    slide->start(30'000);
    connect(m_model, &TaskTableModel::countsChanged, this, &FilterBar::updateCounts);
    connect(m_model, &QAbstractItemModel::rowsInserted, this, &FilterBar::typesChanged);
    typesChanged(); // a model over an engine that already watches tasks
    updateCounts();
}

void FilterBar::updateCounts()
{
    const QString type = m_type->currentData().toString();
    const StateCounts counts = m_model->stateCounts(type);
    const TaskFilterProxy::StateMask mask = m_proxy->states();
    int total = 0;
    for (int i = 0; i < TaskStateCount; ++i) {
        total += counts[i];
        QToolButton *b = m_stateButtons[i];
        b->setText(
            QStringLiteral("%1 %2").arg(TaskRowText::stateLabel(TaskState(i))).arg(counts[i]));
        b->setChecked(mask & TaskFilterProxy::bit(TaskState(i)));
    }
    m_allStates->setText(type.isEmpty() ? tr("all %1").arg(total)
                                        : tr("all %1 of %2").arg(total).arg(type));
    m_allStates->setChecked(mask == 0);
}

bool FilterBar::eventFilter(QObject *watched, QEvent *event)
{
    // Ctrl with a letter is a command here, never an edit (the filter needs no Emacs keys):
    // not accepting the override lets the window's shortcut fire.
    if (watched == m_text && event->type() == QEvent::ShortcutOverride) {
        const auto *key = static_cast<QKeyEvent *>(event);
        static const QList<int> editing{Qt::Key_A, Qt::Key_C, Qt::Key_V,
                                        Qt::Key_X, Qt::Key_Y, Qt::Key_Z};
        if (key->modifiers() & Qt::ControlModifier && key->key() >= Qt::Key_A &&
            key->key() <= Qt::Key_Z && !editing.contains(key->key()))
            return true;
    }
    return QWidget::eventFilter(watched, event);
}

void FilterBar::applyUpdated()
{
    const qint64 window = m_updated->currentData().toLongLong();
    m_proxy->setUpdatedSince(window > 0 ? std::optional(m_model->clock().wallNowMs() - window)
                                        : std::nullopt);
}

void FilterBar::typesChanged()
{
    // Keep the type filter's choices current without disturbing the choice.
    const QString current = m_type->currentData().toString();
    const QStringList types = m_model->taskTypes();
    if (types.size() + 1 == m_type->count())
        return;
    QSignalBlocker block(m_type);
    m_type->clear();
    m_type->addItem(tr("All types"), QString());
    for (const QString &t : types)
        m_type->addItem(t, t);
    m_type->setCurrentIndex(std::max(0, m_type->findData(current)));
}

void FilterBar::clear()
{
    m_text->clear();
    m_type->setCurrentIndex(0);
    m_updated->setCurrentIndex(0);
    m_proxy->setStates(0);
    updateCounts();
}

void FilterBar::focusText()
{
    m_text->setFocus(Qt::ShortcutFocusReason);
    m_text->selectAll();
}

} // namespace rebound
