#include "NoticeBanner.h"

#include <QEvent>
#include <QTimer>

#include <algorithm>

namespace rebound {

NoticeBanner::NoticeBanner(QWidget *over) : QLabel(over)
{
    setObjectName(QStringLiteral("noticeBanner"));
    setWordWrap(true);
    setStyleSheet(
        QStringLiteral("QLabel { background: palette(highlight); color: palette(highlighted-text); "
                       "padding: 6px; border-radius: 4px; }"));
    hide();
    over->installEventFilter(this);
}

void NoticeBanner::showText(const QString &text)
{
    setText(text);
    place();
    show();
    raise();
    QTimer::singleShot(8000, this, &QLabel::hide);
}

bool NoticeBanner::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == parentWidget() && event->type() == QEvent::Resize)
        place();
    return QLabel::eventFilter(watched, event);
}

void NoticeBanner::place()
{
    const QRect r = parentWidget()->rect();
    setFixedWidth(std::max(100, r.width() - 24));
    adjustSize();
    move(12, r.height() - height() - 12);
}

} // namespace rebound
