// The policy editor's form: a value out of the schema's range stays as typed and its row says
// why (no silent snap back), and Apply waits until there is something valid to apply.
// Widgets found by objectName.
#include "ManualEngine.h"
#include "PolicyEditorDialog.h"

#include <QDoubleSpinBox>
#include <QLabel>
#include <QPushButton>
#include <QTest>

using namespace rebound;

class TestPolicyEditor final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void outOfRangeSaysWhyAndApplyWaitsForAChange();
};

void TestPolicyEditor::outOfRangeSaysWhyAndApplyWaitsForAChange()
{
    Q_INIT_RESOURCE(ui);
    ManualEngine engine(R"({"version":1,"policies":[{"name":"p","backoff":{"multiplier":2}}]})");
    PolicyEditorDialog editor(engine.policies());
    editor.show();
    auto *apply = editor.findChild<QPushButton *>(QStringLiteral("applyPolicyButton"));
    auto *multiplier = editor.findChild<QDoubleSpinBox *>(QStringLiteral("backoff.multiplier"));
    auto *problem = editor.findChild<QLabel *>(QStringLiteral("backoff.multiplier.error"));
    QVERIFY(apply && multiplier && problem);
    // What is shown is what is in force: nothing to apply.
    QVERIFY(!apply->isEnabled());
    QVERIFY(apply->toolTip().startsWith(QStringLiteral("Nothing to apply")));
    // 0.5 is kept as typed, and the row says why it cannot be.
    multiplier->setValue(0.5);
    QCOMPARE(multiplier->value(), 0.5);
    QVERIFY(problem->isVisible());
    QVERIFY2(problem->text().contains(QStringLiteral("must be")), qPrintable(problem->text()));
    QVERIFY(!apply->isEnabled());
    // A valid change can be applied.
    multiplier->setValue(3);
    QVERIFY(!problem->isVisible());
    QVERIFY(apply->isEnabled());
    // Back to what is in force: nothing to apply again.
    multiplier->setValue(2);
    QVERIFY(!apply->isEnabled());
}

QTEST_MAIN(TestPolicyEditor)
#include "tst_policyeditor.moc"
