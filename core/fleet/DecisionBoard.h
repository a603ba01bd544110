#pragma once

#include "fleet/DecisionCodec.h"
#include "fleet/RedisWire.h"
#include "time/Clock.h"
#include "time/TimerSource.h"

#include <QHash>
#include <QObject>

namespace rebound {

class Orchestrator;
struct TrackedTask;

/// Every member's decisions where every other member and console reads them: Redis, which
/// the fleet already runs for its shared budget. A member writes its standing decision on each
/// task it owns into one hash (<prefix>/decisions, field "endpoint\ntask id") and appends each
/// batch of changes to a capped stream (<prefix>/decisions/log); the others read the hash once
/// and then the stream every `pollEvery`. A change goes out only when the decision's words or
/// times change (a re-check that finds the same cause with the same end sends nothing).
///
/// A reader that loses Redis reads the hash again when it is back, then the stream from where
/// the hash was read: what changed meanwhile is never lost, only late.
class DecisionBoard final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(DecisionBoard)

public:
    struct Config
    {
        QByteArray keyPrefix = "rebound";
        QString member;                ///< this member's id (its own records are not read back)
        Duration pollEvery{100};       ///< how often the stream is read
        int streamLength = 10000;      ///< batches the stream keeps (MAXLEN ~)
    };

    DecisionBoard(RedisWire &redis, Orchestrator &engine, const Clock &clock, TimerSource &timers,
                  Config config, QObject *parent = nullptr);
    ~DecisionBoard() override;

    /// Reads what the fleet decided so far and starts following it.
    void start();

    QByteArray hashKey() const { return m_config.keyPrefix + "/decisions"; }
    QByteArray streamKey() const { return m_config.keyPrefix + "/decisions/log"; }
    /// Decisions of other members held now.
    qsizetype foreignCount() const { return m_foreign.size(); }
    qint64 publishedChanges() const { return m_publishedChanges; }
    /// Prometheus text: changes published and read, and whether the board is in step.
    QByteArray metricsText() const;

Q_SIGNALS:
    /// Another member's decisions arrived (after the engine took them).
    void received(const QList<rebound::SharedDecision> &decisions);

private:
    void onTasksUpdated(const QList<const TrackedTask *> &tasks);
    void send(const QList<QByteArray> &set, const QList<QByteArray> &del,
              const QList<DecisionCodec::Change> &changes);
    /// Writes every standing decision of this member again (a write was lost with the link).
    void republish();
    static bool sameDecision(const SharedDecision &published, const SharedDecision &d);
    void schedulePoll();
    void poll();
    void reload();
    void onStream(const RedisReply &reply);
    void take(const DecisionCodec::Change &c, QList<SharedDecision> &arrived);
    /// A Redis call failed; `write`: one of this member's writes (it writes everything again).
    void failed(const QString &what, const QString &why, bool write);

    RedisWire &m_redis;
    Orchestrator &m_engine;
    const Clock &m_clock;
    TimerSource &m_timers;
    Config m_config;
    QHash<QString, SharedDecision> m_published; ///< task key -> what this member wrote
    QHash<QString, SharedDecision> m_foreign;  ///< task key -> another member's decision
    QByteArray m_lastId;                       ///< the stream entry read last
    bool m_loaded = false;                     ///< the hash was read since the link was last lost
    bool m_reading = false;                    ///< a read is on its way
    bool m_republish = false;                  ///< a write was lost: write everything again
    TimerId m_pollTimer = 0;
    qint64 m_publishedChanges = 0;
    qint64 m_readChanges = 0;
    qint64 m_reloads = 0;
    qint64 m_errors = 0;
};

} // namespace rebound
