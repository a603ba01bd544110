#pragma once

#include "engine/ActionOutbox.h"
#include "engine/AttemptWatch.h"
#include "engine/EngineCommands.h"
#include "engine/TaskBook.h"
#include "engine/TaskReader.h"
#include "guards/GuardRegistry.h"
#include "remote/Fence.h"

#include <functional>

namespace rebound {

/// Where the engine's and the operators' actions on a task become requests, and answers become
/// facts again. Every action is written to the outbox before it is sent (a crash replays it
/// unchanged); one the engine takes on its own carries this member's fence. An accepted action
/// is looked at again; a refused one gives back the permit and budget it held, marks the row in
/// words, and has the task re-read — never retried blindly.
class ActionDesk final
{
public:
    using Done = EngineCommands::Done;
    struct Hooks
    {
        /// Adds this member's fence to an action; false when the task's shard is not its own.
        std::function<bool(const TrackedTask &, OutboxEntry &)> fence;
        /// A service refused `fence` as stale: the shard has a newer owner.
        std::function<void(const Fence &)> staleFence;
        /// The service's copy of a task after an accepted action, to be looked at again.
        std::function<void(const QString &endpoint, const RemoteTask &task)> answered;
        /// Something changed on the service: the endpoint looks now, not at its next poll.
        std::function<void(const QString &endpoint)> poke;
        /// The task's row changed (in the next batch).
        std::function<void(TrackedTask &)> changed;
        /// A retry's budget was given back: held tasks of that guard may go.
        std::function<void(const GuardKey &)> budgetFreed;
        /// An action refused, in an operator's words.
        std::function<void(const QString &endpoint, const QString &taskId, const QString &why)>
            notice;
    };

    ActionDesk(ActionOutbox &outbox, GuardRegistry &guards, TaskBook &book, TaskReader &reader,
               AttemptWatch &watch, Hooks hooks);
    ActionDesk(const ActionDesk &) = delete;
    ActionDesk &operator=(const ActionDesk &) = delete;

    /// Starts the next attempt with its timeout as deadlineMs. The engine's own (Auto) goes
    /// fenced, or not at all and gives its breaker permit back.
    void startAttempt(TrackedTask &task, AttemptReason reason, Done done);
    /// Cancels the task on the service because its retries stopped (fenced).
    void stopped(TrackedTask &task, StopReason reason);
    /// Ends the watched attempt that overran its timeout (fenced).
    void overran(TrackedTask &task);
    void operatorCancel(TrackedTask &task, Done done);
    void operatorAbort(TrackedTask &task, Done done);
    /// Sends, unchanged, what the endpoint's outbox held at a crash.
    void resume(const QString &endpoint);

private:
    void submit(TrackedTask &task, const OutboxEntry &e, Done done);
    void onAnswer(const OutboxEntry &e, const ApiResponse &r, const Done &done);
    TypeGuards &guards(const TrackedTask &t) { return m_guards.at({t.endpoint, t.remote.type}); }

    ActionOutbox &m_outbox;
    GuardRegistry &m_guards;
    TaskBook &m_book;
    TaskReader &m_reader;
    AttemptWatch &m_watch;
    Hooks m_hooks;
};

} // namespace rebound
