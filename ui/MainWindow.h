#pragma once

#include <QMainWindow>

namespace rebound {

/// The operator console's main window. In this first version it only shows what the engine
/// can already do (policies and schedules come through reboundctl); the task table, charts and
/// policy editor arrive with the remote client.
class MainWindow final : public QMainWindow
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MainWindow)

public:
    explicit MainWindow(const QString &subtitle, QWidget *parent = nullptr);
};

} // namespace rebound
