#include "support/JsonLog.h"
#include "time/ManualClock.h"

#include <QBuffer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace rebound;

class TestJsonLog final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void eventLine();
    void secretsNeverWritten();
    void categoriesFilter();
    void plainMessages();

private:
    QList<QJsonObject> lines() const
    {
        QList<QJsonObject> out;
        for (const QByteArray &l : m_buffer.data().split('\n')) {
            if (!l.isEmpty())
                out << QJsonDocument::fromJson(l).object();
        }
        return out;
    }
    ManualClock m_clock{steadyFromMs(0), 1'767'225'600'123};
    QBuffer m_buffer;
};

void TestJsonLog::init()
{
    m_buffer.setData(QByteArray());
    QVERIFY(m_buffer.open(QIODevice::ReadWrite));
    JsonLog::install(m_clock, &m_buffer);
}

void TestJsonLog::cleanup()
{
    JsonLog::uninstall();
    m_buffer.close();
    QLoggingCategory::setFilterRules(QString());
}

void TestJsonLog::eventLine()
{
    JsonLog::event(
        lcEngine, QtInfoMsg, QStringLiteral("retry_scheduled"),
        {{QStringLiteral("task_id"), QStringLiteral("t-1")},
         {QStringLiteral("attempt"), 2},
         {QStringLiteral("delay_ms"), 400},
         {QStringLiteral("cause"), QStringLiteral("http 503")},
         {QStringLiteral("trace_id"), QStringLiteral("4bf92f3577b34da6a3ce929d0e0e4736")}});
    const QByteArray raw = m_buffer.data();
    QVERIFY2(raw.startsWith(
                 R"({"ts":"2026-01-01T00:00:00.123Z","level":"info","category":"rebound.engine",)"),
             raw.constData());
    QVERIFY(raw.endsWith('\n'));
    const QJsonObject o = lines().first();
    QCOMPARE(o.value(QStringLiteral("event")).toString(), QStringLiteral("retry_scheduled"));
    QCOMPARE(o.value(QStringLiteral("task_id")).toString(), QStringLiteral("t-1"));
    QCOMPARE(o.value(QStringLiteral("attempt")).toInt(), 2);
    QCOMPARE(o.value(QStringLiteral("delay_ms")).toInt(), 400);
    QCOMPARE(o.value(QStringLiteral("trace_id")).toString(),
             QStringLiteral("4bf92f3577b34da6a3ce929d0e0e4736"));
}

void TestJsonLog::secretsNeverWritten()
{
    const QString token = QStringLiteral("s3cr3t-token-value");
    JsonLog::registerSecret(token);
    JsonLog::event(lcClient, QtWarningMsg, QStringLiteral("request"),
                   {{QStringLiteral("token"), token},
                    {QStringLiteral("Authorization"), QStringLiteral("Bearer ") + token},
                    {QStringLiteral("headers"),
                     QJsonObject{{QStringLiteral("x-api-key"), QStringLiteral("k")}}},
                    {QStringLiteral("url"), QStringLiteral("http://127.0.0.1/?t=") + token}});
    qCWarning(lcClient) << "plain text with" << token;
    QVERIFY(!m_buffer.data().contains(token.toUtf8()));
    const QList<QJsonObject> l = lines();
    QCOMPARE(l.size(), 2);
    QCOMPARE(l[0].value(QStringLiteral("token")).toString(), QStringLiteral("[redacted]"));
    QCOMPARE(l[0].value(QStringLiteral("Authorization")).toString(), QStringLiteral("[redacted]"));
    QCOMPARE(l[0].value(QStringLiteral("headers"))
                 .toObject()
                 .value(QStringLiteral("x-api-key"))
                 .toString(),
             QStringLiteral("[redacted]"));
    QCOMPARE(l[0].value(QStringLiteral("url")).toString(),
             QStringLiteral("http://127.0.0.1/?t=[redacted]"));
    QVERIFY(
        l[1].value(QStringLiteral("message")).toString().contains(QStringLiteral("[redacted]")));
}

void TestJsonLog::categoriesFilter()
{
    QLoggingCategory::setFilterRules(
        QStringLiteral("rebound.policy.debug=false\nrebound.policy.info=false"));
    JsonLog::event(lcPolicy, QtInfoMsg, QStringLiteral("hidden"));
    JsonLog::event(lcPolicy, QtWarningMsg, QStringLiteral("shown"));
    const QList<QJsonObject> l = lines();
    QCOMPARE(l.size(), 1);
    QCOMPARE(l[0].value(QStringLiteral("event")).toString(), QStringLiteral("shown"));
    QCOMPARE(l[0].value(QStringLiteral("level")).toString(), QStringLiteral("warning"));
    QCOMPARE(l[0].value(QStringLiteral("category")).toString(), QStringLiteral("rebound.policy"));
}

void TestJsonLog::plainMessages()
{
    qCInfo(lcEngine, "started \"quoted\"\nnewline");
    const QList<QJsonObject> l = lines();
    QCOMPARE(l.size(), 1); // one line even with a newline in the text
    QCOMPARE(l[0].value(QStringLiteral("event")).toString(), QStringLiteral("message"));
    QCOMPARE(l[0].value(QStringLiteral("message")).toString(),
             QStringLiteral("started \"quoted\"\nnewline"));
}

QTEST_GUILESS_MAIN(TestJsonLog)
#include "tst_jsonlog.moc"
