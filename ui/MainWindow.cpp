#include "MainWindow.h"

#include <QLabel>
#include <QStatusBar>
#include <QVBoxLayout>

namespace rebound {

MainWindow::MainWindow(const QString &subtitle, QWidget *parent) : QMainWindow(parent)
{
    setObjectName(QStringLiteral("mainWindow"));
    setWindowTitle(subtitle.isEmpty() ? tr("Rebound") : tr("Rebound — %1").arg(subtitle));
    auto *central = new QWidget(this);
    auto *layout = new QVBoxLayout(central);
    auto *label = new QLabel(
        tr("<h2>Rebound %1</h2><p>The retry engine is ready. The live task table, charts and "
           "policy editor need the remote-task client, which is not part of this build yet.</p>"
           "<p>Try <code>reboundctl schedule --help</code> and "
           "<code>reboundctl policy validate FILE</code>.</p>")
            .arg(QStringLiteral(REBOUND_VERSION)),
        central);
    label->setObjectName(QStringLiteral("placeholderLabel"));
    label->setWordWrap(true);
    label->setTextFormat(Qt::RichText);
    layout->addWidget(label);
    layout->addStretch();
    setCentralWidget(central);
    statusBar()->showMessage(tr("No endpoint connected"));
    resize(900, 560);
}

} // namespace rebound
