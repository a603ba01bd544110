#pragma once

// Test helper: an EtcdWire with no etcd. Every call is held until the test answers it; the
// watch stream is one request the test feeds lines into or ends.
#include "fleet/EtcdWire.h"

#include <QJsonDocument>

#include <deque>
#include <optional>

class FakeEtcdWire final : public rebound::EtcdWire
{
public:
    struct Call
    {
        QString path;
        QJsonObject body;
        Answer done;
    };
    struct Watch
    {
        QList<QJsonObject> requests;
        Line line;
        Ended ended;
    };

    void call(const QString &path, const QJsonObject &body, Answer done) override
    {
        calls.push_back({path, body, std::move(done)});
    }
    void openWatch(const QList<QJsonObject> &requests, Line line, Ended ended) override
    {
        ++watchesOpened;
        watch = Watch{requests, std::move(line), std::move(ended)};
    }
    void closeWatch() override { watch.reset(); }
    QString address() const override { return QStringLiteral("http://etcd.test"); }

    /// Takes the oldest held call; the test checks its path and answers it.
    Call take()
    {
        if (calls.empty()) // the test's QCOMPARE of the path then fails, rather than a crash
            return Call{QStringLiteral("(no call)"), {}, [](rebound::Result<QByteArray>) {}};
        Call c = std::move(calls.front());
        calls.pop_front();
        return c;
    }
    void feed(const QByteArray &json) { watch->line(json); }

    std::deque<Call> calls;
    std::optional<Watch> watch;
    int watchesOpened = 0;
};
