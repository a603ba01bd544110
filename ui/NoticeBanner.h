#pragma once

#include <QLabel>

namespace rebound {

/// The newest notice, floating over the bottom edge of the widget it watches (the task table)
/// for a few seconds: it never pushes the rows down, and follows the widget's size.
class NoticeBanner final : public QLabel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(NoticeBanner)

public:
    explicit NoticeBanner(QWidget *over);

    void showText(const QString &text);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void place();
};

} // namespace rebound
