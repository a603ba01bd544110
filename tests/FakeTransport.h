#pragma once

// Test helper: a TaskTransport with no network. Task listings are answered from `page` (then
// empty pages); every other request is held until the test answers it, so a test sees each
// request the engine makes, in order, and decides what comes back and when.
#include "remote/EndpointConfig.h"
#include "remote/TaskJson.h"
#include "remote/TaskTransport.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QObject>
#include <QTimer>

#include <deque>

class FakeTransport final : public rebound::TaskTransport
{
public:
    int failPolls = 0; ///< listings still to answer 503

    struct Held
    {
        rebound::ApiRequest request;
        Callback done;
        QByteArray header(const QByteArray &name) const
        {
            for (const auto &[k, v] : request.headers)
                if (k.compare(name, Qt::CaseInsensitive) == 0)
                    return v;
            return {};
        }
    };

    explicit FakeTransport(QString key) : m_key(std::move(key)) {}

    void send(rebound::ApiRequest request, Callback done) override
    {
        ++m_sent;
        if (request.method == "GET" && request.path == QLatin1String("/v1/tasks") &&
            failPolls > 0) {
            --failPolls;
            ++polls;
            rebound::ApiResponse r;
            r.status = 503;
            QTimer::singleShot(0, &m_context, [done, r] { done(r); });
            return;
        }
        if (request.method == "GET" && request.path == QLatin1String("/v1/tasks")) {
            QJsonArray tasks;
            for (const rebound::RemoteTask &t : std::as_const(page))
                tasks.append(rebound::TaskJson::toJson(t));
            page.clear();
            rebound::ApiResponse r;
            r.status = 200;
            r.body = QJsonDocument(QJsonObject{{QStringLiteral("tasks"), tasks},
                                               {QStringLiteral("cursor"),
                                                QStringLiteral("c%1").arg(++m_cursor)},
                                               {QStringLiteral("more"), false}})
                         .toJson(QJsonDocument::Compact);
            ++polls;
            // Answered later, never from inside send(), like a real transport.
            QTimer::singleShot(0, &m_context, [done, r] { done(r); });
            return;
        }
        held.push_back(Held{std::move(request), std::move(done)});
    }
    void abortAll() override
    {
        auto all = std::move(held);
        held.clear();
        for (Held &h : all) {
            rebound::ApiResponse r;
            r.transport = rebound::TransportError::Other;
            r.error = QStringLiteral("aborted");
            h.done(r);
        }
    }
    QString endpointKey() const override { return m_key; }
    void setCredentials(const QByteArray &, const QList<QSslCertificate> &) override {}
    std::optional<rebound::SteadyTime> pausedUntil() const override { return std::nullopt; }

    /// Answers the oldest held request of `method` whose path ends with `pathSuffix`.
    void answer(const QString &pathSuffix, int status, const QByteArray &body = {},
                const QByteArray &method = "POST",
                const QHash<QByteArray, QByteArray> &headers = {})
    {
        const auto it = std::find_if(held.begin(), held.end(), [&](const Held &h) {
            return h.request.method == method && h.request.path.endsWith(pathSuffix);
        });
        if (it == held.end())
            qFatal("FakeTransport: no request to %s is waiting", qPrintable(pathSuffix));
        Held h = std::move(*it);
        held.erase(it);
        rebound::ApiResponse r;
        r.status = status;
        r.body = body;
        r.headers = headers;
        h.done(r);
    }
    static QByteArray taskBody(const rebound::RemoteTask &t)
    {
        return QJsonDocument(rebound::TaskJson::toJson(t)).toJson(QJsonDocument::Compact);
    }

    QList<rebound::RemoteTask> page; ///< what the next listing returns
    std::deque<Held> held;           ///< everything but listings, oldest first
    int polls = 0;

private:
    QString m_key;
    QObject m_context;
    int m_cursor = 0;
    int m_sent = 0;
};
