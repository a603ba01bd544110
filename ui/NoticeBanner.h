#pragma once

#include <QLabel>
#include <QTimer>

namespace rebound {

/// The newest notice, in a strip under the task table for a few seconds. It takes its own room
/// (the table's foot moves up while it shows, its rows stay where they are), so it never hides
/// a row.
class NoticeBanner final : public QLabel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(NoticeBanner)

public:
    explicit NoticeBanner(QWidget *parent = nullptr);

    /// Shows `text` for 8 s from now (a newer notice replaces it and starts the 8 s again).
    void showText(const QString &text);

private:
    QTimer m_hide;
};

} // namespace rebound
