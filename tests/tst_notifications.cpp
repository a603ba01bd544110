// The Notifications dock through a busy hour: per-task news grouped per type, reason and
// minute (expandable to the tasks), severities and filters, and no scrolling while the operator
// reads further up. Widgets found by objectName.
#include "NotificationLog.h"

#include <QComboBox>
#include <QScrollBar>
#include <QSignalSpy>
#include <QTest>
#include <QToolButton>
#include <QTreeWidget>

using namespace rebound;

namespace {

using Notice = NotificationLog::Notice;
using Severity = NotificationLog::Severity;

const QDateTime kAt = QDateTime(QDate(2026, 12, 7), QTime(14, 30, 5));

Notice stopped(const QString &id, const QString &type, const QString &reason, QDateTime at = kAt)
{
    return NotificationLog::stopped(at, QStringLiteral("http://n.test"), id, type, reason);
}

Notice important(const QString &text, QDateTime at = kAt)
{
    return {at, text, Severity::Important, {}, {}, {}, {}, {}};
}

QString textOf(const QTreeWidgetItem *item)
{
    return item->text(0).mid(10); // after "HH:mm:ss  "
}

} // namespace

class TestNotifications final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void repeatedNewsGroups();
    void filtersBySeverityAndType();
    void neverScrollsWhileReading();
    void aTaskLineSelectsItsTask();
};

void TestNotifications::repeatedNewsGroups()
{
    NotificationLog log;
    QTreeWidget *tree = log.findChild<QTreeWidget *>(QStringLiteral("notificationLog"));
    QVERIFY(tree);
    QVERIFY(tree->wordWrap());
    log.add(stopped(QStringLiteral("t1"), QStringLiteral("pdf.render"),
                    QStringLiteral("deadline exceeded")));
    QCOMPARE(tree->topLevelItemCount(), 1);
    QCOMPARE(textOf(tree->topLevelItem(0)),
             QStringLiteral("t1 stopped retrying: deadline exceeded"));
    log.add(important(QStringLiteral("policy pdf v2 applied"), kAt.addSecs(1)));
    for (const char *id : {"t2", "t3"})
        log.add(stopped(QString::fromLatin1(id), QStringLiteral("pdf.render"),
                        QStringLiteral("deadline exceeded"), kAt.addSecs(20)));
    // Another reason, another type, the next minute: lines of their own.
    log.add(stopped(QStringLiteral("t4"), QStringLiteral("pdf.render"),
                    QStringLiteral("not retryable")));
    log.add(stopped(QStringLiteral("t5"), QStringLiteral("sms.send"),
                    QStringLiteral("deadline exceeded")));
    log.add(stopped(QStringLiteral("t6"), QStringLiteral("pdf.render"),
                    QStringLiteral("deadline exceeded"), kAt.addSecs(60)));
    QCOMPARE(tree->topLevelItemCount(), 5);
    QTreeWidgetItem *group = tree->topLevelItem(0);
    QCOMPARE(textOf(group),
             QStringLiteral("3 tasks of pdf.render stopped retrying: deadline exceeded"));
    QCOMPARE(group->childCount(), 3);
    QCOMPARE(textOf(group->child(0)), QStringLiteral("t1 stopped retrying: deadline exceeded"));
    QCOMPARE(group->child(2)->text(0),
             QStringLiteral("14:30:25  t3 stopped retrying: deadline exceeded"));
    // The policy change stays a line of its own, and stands out.
    QCOMPARE(textOf(tree->topLevelItem(1)), QStringLiteral("policy pdf v2 applied"));
    QVERIFY(tree->topLevelItem(1)->font(0).bold());
    QVERIFY(!group->font(0).bold());
    QCOMPARE(textOf(tree->topLevelItem(4)),
             QStringLiteral("t6 stopped retrying: deadline exceeded"));
}

void TestNotifications::filtersBySeverityAndType()
{
    NotificationLog log;
    QTreeWidget *tree = log.entries();
    log.add(stopped(QStringLiteral("t1"), QStringLiteral("pdf.render"), QStringLiteral("x")));
    log.add(important(QStringLiteral("Breaker for sms.send opened")));
    log.add(stopped(QStringLiteral("t2"), QStringLiteral("sms.send"), QStringLiteral("x")));
    auto *severity = log.findChild<QComboBox *>(QStringLiteral("notificationSeverity"));
    auto *type = log.findChild<QComboBox *>(QStringLiteral("notificationType"));
    QVERIFY(severity && type);
    severity->setCurrentIndex(severity->findData(int(Severity::Important)));
    QVERIFY(tree->topLevelItem(0)->isHidden());
    QVERIFY(!tree->topLevelItem(1)->isHidden());
    QVERIFY(tree->topLevelItem(2)->isHidden());
    severity->setCurrentIndex(0);
    type->setCurrentIndex(type->findData(QStringLiteral("sms.send")));
    QVERIFY(tree->topLevelItem(0)->isHidden());
    QVERIFY(tree->topLevelItem(1)->isHidden()); // about no type
    QVERIFY(!tree->topLevelItem(2)->isHidden());
    // A new line meets the filter as it comes.
    log.add(stopped(QStringLiteral("t3"), QStringLiteral("pdf.render"), QStringLiteral("y")));
    QVERIFY(tree->topLevelItem(3)->isHidden());
}

void TestNotifications::neverScrollsWhileReading()
{
    NotificationLog log;
    log.resize(400, 200);
    log.show();
    QVERIFY(QTest::qWaitForWindowExposed(&log));
    QTreeWidget *tree = log.entries();
    for (int i = 0; i < 60; ++i)
        log.add(important(QStringLiteral("entry %1").arg(i), kAt.addSecs(i)));
    QScrollBar *bar = tree->verticalScrollBar();
    QVERIFY(bar->maximum() > 0);
    QCOMPARE(bar->value(), bar->maximum()); // following the newest
    auto *marker = log.findChild<QToolButton *>(QStringLiteral("newEntries"));
    QVERIFY(marker);
    QVERIFY(marker->isHidden());
    bar->setValue(0); // the operator scrolls up to read
    log.add(important(QStringLiteral("entry 60"), kAt.addSecs(60)));
    QCOMPARE(bar->value(), 0);
    QVERIFY(!marker->isHidden());
    marker->click();
    QCOMPARE(bar->value(), bar->maximum());
    QVERIFY(marker->isHidden());
}

void TestNotifications::aTaskLineSelectsItsTask()
{
    NotificationLog log;
    QSignalSpy activated(&log, &NotificationLog::taskActivated);
    log.add(stopped(QStringLiteral("t1"), QStringLiteral("p"), QStringLiteral("x")));
    log.add(stopped(QStringLiteral("t2"), QStringLiteral("p"), QStringLiteral("x")));
    QTreeWidgetItem *group = log.entries()->topLevelItem(0);
    Q_EMIT log.entries()->itemActivated(group, 0); // a group names no one task
    QCOMPARE(activated.size(), 0);
    Q_EMIT log.entries()->itemActivated(group->child(1), 0);
    QCOMPARE(activated.size(), 1);
    QCOMPARE(activated.first().at(1).toString(), QStringLiteral("t2"));
}

QTEST_MAIN(TestNotifications)
#include "tst_notifications.moc"
