#include "NoticeBanner.h"

namespace rebound {

NoticeBanner::NoticeBanner(QWidget *parent) : QLabel(parent)
{
    setObjectName(QStringLiteral("noticeBanner"));
    setWordWrap(true);
    setStyleSheet(
        QStringLiteral("QLabel { background: palette(highlight); color: palette(highlighted-text); "
                       "padding: 6px; border-radius: 4px; }"));
    hide();
    m_hide.setSingleShot(true);
    m_hide.setInterval(8000);
    connect(&m_hide, &QTimer::timeout, this, &QLabel::hide);
}

void NoticeBanner::showText(const QString &text)
{
    setText(text);
    show();
    m_hide.start();
}

} // namespace rebound
