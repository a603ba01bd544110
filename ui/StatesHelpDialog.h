#pragma once

#include <QDialog>

namespace rebound {

/// Help → States and decisions (F1): every state the table shows, in its badge's colour, what
/// it means and what the operator can do about it; the actions and their keys. Deletes itself
/// when closed.
class StatesHelpDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(StatesHelpDialog)

public:
    explicit StatesHelpDialog(QWidget *parent = nullptr);
};

} // namespace rebound
