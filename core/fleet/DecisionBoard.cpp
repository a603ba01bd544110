#include "fleet/DecisionBoard.h"

#include "engine/Orchestrator.h"
#include "telemetry/PrometheusText.h"

#include <QPointer>

namespace rebound {

DecisionBoard::DecisionBoard(RedisWire &redis, Orchestrator &engine, const Clock &clock,
                             TimerSource &timers, Config config, QObject *parent)
    : QObject(parent), m_redis(redis), m_engine(engine), m_clock(clock), m_timers(timers),
      m_config(std::move(config))
{
    connect(&m_engine, &Orchestrator::tasksUpdated, this, &DecisionBoard::onTasksUpdated);
}

DecisionBoard::~DecisionBoard()
{
    if (m_pollTimer)
        m_timers.cancel(m_pollTimer);
}

void DecisionBoard::start()
{
    poll();
}

void DecisionBoard::onTasksUpdated(const QList<const TrackedTask *> &tasks)
{
    QList<QByteArray> set{QByteArrayLiteral("HSET"), hashKey()};
    QList<QByteArray> del{QByteArrayLiteral("HDEL"), hashKey()};
    QList<DecisionCodec::Change> changes;
    for (const TrackedTask *t : tasks) {
        if (!m_engine.owns(t->endpoint, t->remote.id)) {
            // Another member's task: it publishes; this member's old record is not removed
            // here (it could land after the new owner's). A task seen for the first time takes
            // the decision already read.
            m_published.remove(t->key);
            if (!t->foreign) {
                const auto f = m_foreign.constFind(t->key);
                if (f != m_foreign.cend())
                    m_engine.adopt(*f);
            }
            continue;
        }
        const auto d = m_engine.sharedDecision(*t);
        const QByteArray field = DecisionCodec::field(t->endpoint, t->remote.id);
        if (d) {
            m_foreign.remove(t->key); // a former owner's record, overwritten below
            const auto published = m_published.constFind(t->key);
            if (published != m_published.cend() && sameDecision(*published, *d))
                continue;
            m_published.insert(t->key, *d);
            set << field << DecisionCodec::encode(*d);
            changes.append({*d, false});
        } else if (m_published.remove(t->key) > 0 || m_foreign.remove(t->key) > 0) {
            // Its decision no longer stands (or a former owner's record lingers): remove it.
            del << field;
            DecisionCodec::Change gone;
            gone.gone = true;
            gone.decision.endpoint = t->endpoint;
            gone.decision.taskId = t->remote.id;
            gone.decision.member = m_config.member;
            changes.append(gone);
        }
    }
    if (changes.isEmpty())
        return;
    if (!m_redis.isUp()) {
        // Not sent: everything this member stands by goes out again once Redis answers.
        m_republish = true;
        return;
    }
    send(set, del, changes);
}

bool DecisionBoard::sameDecision(const SharedDecision &published, const SharedDecision &d)
{
    // The wall times come from this member's steady clock, read again for each look: the
    // same decision can differ by a millisecond of rounding, which is not a change.
    const auto near = [](std::optional<std::int64_t> a, std::optional<std::int64_t> b) {
        return a.has_value() == b.has_value() && (!a || std::abs(*a - *b) <= 2);
    };
    SharedDecision x = published;
    SharedDecision y = d;
    const bool times = near(x.decidedWallMs, y.decidedWallMs) && near(x.dueWallMs, y.dueWallMs);
    x.decidedWallMs = y.decidedWallMs = 0;
    x.dueWallMs = y.dueWallMs = std::nullopt;
    return times && x == y;
}

void DecisionBoard::republish()
{
    m_republish = false;
    QList<QByteArray> set{QByteArrayLiteral("HSET"), hashKey()};
    QList<DecisionCodec::Change> changes;
    for (const SharedDecision &d : std::as_const(m_published)) {
        set << DecisionCodec::field(d.endpoint, d.taskId) << DecisionCodec::encode(d);
        changes.append({d, false});
    }
    if (!changes.isEmpty())
        send(set, {}, changes);
}

void DecisionBoard::send(const QList<QByteArray> &set, const QList<QByteArray> &del,
                         const QList<DecisionCodec::Change> &changes)
{
    // One pipeline per batch, in order on one connection: the hash first, then the stream
    // entry readers follow (a reader that reads the hash then the stream sees each change).
    QPointer<DecisionBoard> self(this);
    const auto answered = [self](const QString &what) {
        return [self, what](Result<RedisReply> r) {
            if (!self)
                return;
            if (!r)
                self->failed(what, r.error().message, true);
            else if (r->type == RedisReply::Type::Error)
                self->failed(what, QString::fromUtf8(r->text), true);
        };
    };
    if (set.size() > 2)
        m_redis.command(set, answered(QStringLiteral("HSET")));
    if (del.size() > 2)
        m_redis.command(del, answered(QStringLiteral("HDEL")));
    // Stream entries of at most kChunk changes: a reader's XREAD COUNT stays a bounded read.
    constexpr qsizetype kChunk = 500;
    for (qsizetype i = 0; i < changes.size(); i += kChunk)
        m_redis.command({QByteArrayLiteral("XADD"), streamKey(), QByteArrayLiteral("MAXLEN"),
                         QByteArrayLiteral("~"), QByteArray::number(m_config.streamLength),
                         QByteArrayLiteral("*"), QByteArrayLiteral("d"),
                         DecisionCodec::encodeBatch(changes.mid(i, kChunk))},
                        answered(QStringLiteral("XADD")));
    m_publishedChanges += changes.size();
}

void DecisionBoard::failed(const QString &what, const QString &why, bool write)
{
    ++m_errors;
    m_loaded = false; // read everything again once Redis answers
    if (write)
        m_republish = true; // and write again what this member stands by
    qWarning("rebound: decisions in Redis (%s at %s): %s", qPrintable(what),
             qPrintable(m_redis.address()), qPrintable(why));
}

void DecisionBoard::schedulePoll()
{
    m_pollTimer = m_timers.schedule(m_clock.steadyNow() + m_config.pollEvery, [this] {
        m_pollTimer = 0;
        poll();
    });
}

void DecisionBoard::poll()
{
    if (m_reading)
        return;
    if (!m_loaded) {
        reload();
        return;
    }
    m_reading = true;
    QPointer<DecisionBoard> self(this);
    m_redis.command({QByteArrayLiteral("XREAD"), QByteArrayLiteral("COUNT"),
                     QByteArrayLiteral("100"), QByteArrayLiteral("STREAMS"), streamKey(),
                     m_lastId},
                    [self](Result<RedisReply> r) {
                        if (!self)
                            return;
                        self->m_reading = false;
                        if (!r)
                            self->failed(QStringLiteral("XREAD"), r.error().message, false);
                        else if (r->type == RedisReply::Type::Error)
                            self->failed(QStringLiteral("XREAD"), QString::fromUtf8(r->text), false);
                        else
                            self->onStream(*r);
                        self->schedulePoll();
                    });
}

void DecisionBoard::reload()
{
    // Where the stream stands first, then the hash: a change between the two is in both,
    // and applying it twice in order leaves the same result.
    m_reading = true;
    QPointer<DecisionBoard> self(this);
    const auto giveUp = [self](const QString &what, const Result<RedisReply> &r) {
        self->m_reading = false;
        self->failed(what, !r ? r.error().message : QString::fromUtf8(r->text), false);
        self->schedulePoll();
    };
    m_redis.command(
        {QByteArrayLiteral("XREVRANGE"), streamKey(), QByteArrayLiteral("+"),
         QByteArrayLiteral("-"), QByteArrayLiteral("COUNT"), QByteArrayLiteral("1")},
        [self, giveUp](Result<RedisReply> last) {
            if (!self)
                return;
            if (!last || last->type == RedisReply::Type::Error)
                return giveUp(QStringLiteral("XREVRANGE"), last);
            QByteArray from = QByteArrayLiteral("0-0");
            if (!last->elements.isEmpty() && !last->elements.front().elements.isEmpty())
                from = last->elements.front().elements.front().text;
            self->m_redis.command(
                {QByteArrayLiteral("HGETALL"), self->hashKey()},
                [self, giveUp, from](Result<RedisReply> all) {
                    if (!self)
                        return;
                    if (!all || all->type != RedisReply::Type::Array)
                        return giveUp(QStringLiteral("HGETALL"), all);
                    QHash<QString, SharedDecision> before = std::exchange(self->m_foreign, {});
                    QList<SharedDecision> arrived;
                    for (qsizetype i = 1; i < all->elements.size(); i += 2) {
                        auto d = DecisionCodec::decode(all->elements.at(i).text);
                        if (!d) {
                            ++self->m_errors;
                            continue;
                        }
                        before.remove(TaskBook::key(d->endpoint, d->taskId));
                        self->take({*d, false}, arrived);
                    }
                    // Gone while this member was not reading.
                    for (auto it = before.cbegin(); it != before.cend(); ++it)
                        self->m_engine.withdraw(it->endpoint, it->taskId, it->member);
                    self->m_lastId = from;
                    self->m_loaded = true;
                    self->m_reading = false;
                    ++self->m_reloads;
                    if (self->m_republish)
                        self->republish();
                    if (!arrived.isEmpty())
                        Q_EMIT self->received(arrived);
                    self->poll();
                });
        });
}

void DecisionBoard::onStream(const RedisReply &reply)
{
    // [[stream, [[id, [field, value, …]], …]]] or nil when nothing is new.
    if (reply.type != RedisReply::Type::Array || reply.elements.isEmpty())
        return;
    QList<SharedDecision> arrived;
    for (const RedisReply &entry : reply.elements.front().elements.value(1).elements) {
        if (entry.elements.size() < 2)
            continue;
        m_lastId = entry.elements.at(0).text;
        const auto &fields = entry.elements.at(1).elements;
        for (qsizetype i = 0; i + 1 < fields.size(); i += 2) {
            if (fields.at(i).text != "d")
                continue;
            auto batch = DecisionCodec::decodeBatch(fields.at(i + 1).text);
            if (!batch) {
                ++m_errors;
                continue;
            }
            for (const DecisionCodec::Change &c : std::as_const(*batch))
                take(c, arrived);
        }
    }
    if (!arrived.isEmpty())
        Q_EMIT received(arrived);
}

void DecisionBoard::take(const DecisionCodec::Change &c, QList<SharedDecision> &arrived)
{
    const SharedDecision &d = c.decision;
    ++m_readChanges;
    if (d.member == m_config.member)
        return;
    const QString key = TaskBook::key(d.endpoint, d.taskId);
    if (c.gone) {
        const auto f = m_foreign.constFind(key);
        if (f != m_foreign.cend() && f->member == d.member)
            m_foreign.erase(f);
        m_engine.withdraw(d.endpoint, d.taskId, d.member);
        return;
    }
    m_foreign.insert(key, d);
    m_engine.adopt(d);
    arrived.append(d);
}

QByteArray DecisionBoard::metricsText() const
{
    PrometheusText out;
    const PrometheusText::Labels member{{QStringLiteral("member"), m_config.member}};
    const auto one = [&](const char *name, const char *type, const char *help, double value) {
        out.family(name, type, help);
        out.sample(name, member, value);
    };
    one("rebound_fleet_decisions_published_total", "counter",
        "Decision changes this member published for the tasks it owns.",
        double(m_publishedChanges));
    one("rebound_fleet_decisions_read_total", "counter", "Decision changes read from the fleet.",
        double(m_readChanges));
    one("rebound_fleet_decisions_foreign", "gauge", "Other members' decisions held now.",
        double(m_foreign.size()));
    one("rebound_fleet_decisions_reloads_total", "counter",
        "Times the whole hash was read (at start and after Redis was lost).", double(m_reloads));
    one("rebound_fleet_decisions_errors_total", "counter",
        "Redis errors and records not understood.", double(m_errors));
    return out.text();
}

} // namespace rebound
