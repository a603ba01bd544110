#include "MainWindow.h"

#include <QLabel>
#include <QTest>

using namespace rebound;

class TestMainWindow final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void showsTitleAndPlaceholder();
};

void TestMainWindow::showsTitleAndPlaceholder()
{
    MainWindow w(QStringLiteral("demo"));
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QVERIFY(w.windowTitle().startsWith(QStringLiteral("Rebound")));
    QVERIFY(w.windowTitle().endsWith(QStringLiteral("demo")));
    auto *label = w.findChild<QLabel *>(QStringLiteral("placeholderLabel"));
    QVERIFY(label);
    QVERIFY(label->isVisible());
}

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
