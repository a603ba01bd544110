#pragma once

// Test helper: runs the real rebound-taskd on a loopback port chosen by the OS and talks to it
// with a blocking QNetworkAccessManager loop. Cleans up the process on destruction.
#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QSslConfiguration>
#include <QTemporaryFile>
#include <QTimer>
#include <QtCore/qtestsupport_core.h>

#include <memory>

class TaskdProcess
{
public:
    struct Reply
    {
        int status = 0;
        QByteArray body;
        QHash<QByteArray, QByteArray> headers;
        QJsonObject json() const { return QJsonDocument::fromJson(body).object(); }
    };

    explicit TaskdProcess(QStringList extraArgs = {}, const QByteArray &token = "test-token-123")
        : m_token(token), m_args(std::move(extraArgs))
    {}
    ~TaskdProcess() { stop(); }

    /// Starts on `port` (0: any free port). Returns false with `error` set on failure.
    bool start(quint16 port = 0, const QByteArray &profileJson = {})
    {
        QStringList args = {QStringLiteral("--listen"), QStringLiteral("127.0.0.1:%1").arg(port)};
        if (!profileJson.isEmpty()) {
            m_profile = std::make_unique<QTemporaryFile>();
            m_profile->open();
            m_profile->write(profileJson);
            m_profile->flush();
            args << QStringLiteral("--profile") << m_profile->fileName();
        }
        args << m_args;
        m_process = std::make_unique<QProcess>();
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        if (!m_token.isEmpty())
            env.insert(QStringLiteral("REBOUND_TASKD_TOKEN"), QString::fromUtf8(m_token));
        else
            args << QStringLiteral("--no-auth");
        m_process->setProcessEnvironment(env);
        m_process->setProcessChannelMode(QProcess::SeparateChannels);
        m_process->start(QStringLiteral(TASKD_PATH), args);
        if (!m_process->waitForStarted(10'000) || !m_process->waitForReadyRead(10'000)) {
            error = QStringLiteral("taskd did not start: ") +
                    QString::fromUtf8(m_process->readAllStandardError());
            return false;
        }
        const QJsonObject first = QJsonDocument::fromJson(m_process->readLine()).object();
        url = first.value(QStringLiteral("listening")).toString();
        this->port = static_cast<quint16>(QUrl(url).port());
        return !url.isEmpty();
    }

    void stop()
    {
        if (m_process && m_process->state() != QProcess::NotRunning) {
            m_process->kill();
            m_process->waitForFinished(5000);
        }
    }

    Reply request(const QByteArray &method, const QString &path, const QByteArray &body = {},
                  const QList<QPair<QByteArray, QByteArray>> &headers = {}, bool auth = true)
    {
        QNetworkRequest req(QUrl(url + path));
        if (auth && !m_token.isEmpty())
            req.setRawHeader("Authorization", "Bearer " + m_token);
        if (!body.isEmpty())
            req.setHeader(QNetworkRequest::ContentTypeHeader,
                          QByteArrayLiteral("application/json"));
        for (const auto &[k, v] : headers)
            req.setRawHeader(k, v);
        if (!m_ca.isEmpty()) {
            QSslConfiguration ssl = QSslConfiguration::defaultConfiguration();
            ssl.addCaCertificates(m_ca);
            req.setSslConfiguration(ssl);
        }
        return exchange(m_nam, req, method, body);
    }

    /// One request and its answer (status, body, headers with lower-case names), waiting at
    /// most 15 s with the event loop turning.
    static Reply exchange(QNetworkAccessManager &nam, const QNetworkRequest &req,
                          const QByteArray &method, const QByteArray &body)
    {
        QNetworkReply *reply = nam.sendCustomRequest(req, method, body);
        QEventLoop loop;
        QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
        QTimer::singleShot(15'000, &loop, &QEventLoop::quit);
        loop.exec();
        Reply r;
        r.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        r.body = reply->readAll();
        for (const auto &[k, v] : reply->rawHeaderPairs())
            r.headers.insert(k.toLower(), v);
        reply->deleteLater();
        return r;
    }

    /// Trust these certificates for an https taskd (started with --tls-cert/--tls-key).
    void trust(const QList<QSslCertificate> &ca) { m_ca = ca; }

    Reply get(const QString &path) { return request("GET", path); }
    Reply post(const QString &path, const QByteArray &body,
               const QList<QPair<QByteArray, QByteArray>> &headers = {})
    {
        return request("POST", path, body, headers);
    }
    QString createTask(const QString &type)
    {
        return post(QStringLiteral("/v1/tasks"),
                    QJsonDocument(QJsonObject{{QStringLiteral("type"), type}}).toJson())
            .json()
            .value(QStringLiteral("id"))
            .toString();
    }
    QJsonObject task(const QString &id) { return get(QStringLiteral("/v1/tasks/") + id).json(); }
    QJsonArray attempts(const QString &id)
    {
        return get(QStringLiteral("/v1/tasks/") + id + QStringLiteral("/attempts"))
            .json()
            .value(QStringLiteral("attempts"))
            .toArray();
    }
    /// Tasks whose attempt is running now, over every page of the listing (tasks of
    /// `exceptType` aside: a type made to hang runs for a minute).
    int runningCount(const QString &exceptType = {})
    {
        int running = 0;
        QString cursor;
        for (int page = 0; page < 100; ++page) {
            const QJsonObject o =
                get(QStringLiteral("/v1/tasks?limit=1000") +
                    (cursor.isEmpty() ? QString() : QStringLiteral("&since=") + cursor))
                    .json();
            for (const QJsonValue &v : o.value(QStringLiteral("tasks")).toArray()) {
                const QJsonObject t = v.toObject();
                running +=
                    t.value(QStringLiteral("state")).toString() == QLatin1String("running") &&
                    t.value(QStringLiteral("type")).toString() != exceptType;
            }
            if (!o.value(QStringLiteral("more")).toBool())
                break;
            cursor = o.value(QStringLiteral("cursor")).toString();
        }
        return running;
    }
    /// Waits (at most `ms`) until no attempt runs: the simulated ones have all ended, and
    /// nothing moves until someone acts.
    bool waitQuiet(int ms = 10'000, const QString &exceptType = {})
    {
        return QTest::qWaitFor([&] { return runningCount(exceptType) == 0; }, ms);
    }
    /// Waits (at most `ms`) until the task is in `state`.
    bool waitForState(const QString &id, const QString &state, int ms = 10'000)
    {
        return QTest::qWaitFor(
            [&] { return task(id).value(QStringLiteral("state")).toString() == state; }, ms);
    }
    void setFaults(const QJsonObject &faults)
    {
        post(QStringLiteral("/admin/faults"), QJsonDocument(faults).toJson());
    }
    void setProfile(const QByteArray &json) { post(QStringLiteral("/admin/profile"), json); }
    QByteArray metrics() { return request("GET", QStringLiteral("/metrics"), {}, {}, false).body; }
    /// The value of one Prometheus sample line, e.g. `rebound_taskd_idempotent_replays_total`.
    double metric(const QByteArray &name)
    {
        for (const QByteArray &line : metrics().split('\n')) {
            if (line.startsWith(name + ' '))
                return line.mid(name.size() + 1).toDouble();
        }
        return -1;
    }

    /// The sum of all samples whose name starts with `prefix` (e.g. a labelled counter).
    double metricSum(const QByteArray &prefix)
    {
        double sum = 0;
        for (const QByteArray &line : metrics().split('\n')) {
            if (line.startsWith(prefix))
                sum += line.mid(line.lastIndexOf(' ') + 1).toDouble();
        }
        return sum;
    }

    qint64 pid() const { return m_process ? m_process->processId() : 0; }

    QString url;
    quint16 port = 0;
    QString error;

private:
    QByteArray m_token;
    QStringList m_args;
    std::unique_ptr<QProcess> m_process;
    std::unique_ptr<QTemporaryFile> m_profile;
    QList<QSslCertificate> m_ca;
    QNetworkAccessManager m_nam;
};
