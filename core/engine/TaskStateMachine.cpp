#include "engine/TaskStateMachine.h"

#include <array>

namespace rebound {

namespace {
using S = TaskState;
constexpr int N = TaskStateCount;

// kAllowed[from][to].
constexpr std::array<std::array<bool, N>, N> makeTable()
{
    std::array<std::array<bool, N>, N> t{};
    auto allow = [&t](S from, std::initializer_list<S> to) {
        for (S s : to)
            t[int(from)][int(s)] = true;
    };
    // An attempt's end may be seen without its start, and several may pass between two looks.
    allow(S::Pending, {S::Running, S::Succeeded, S::Failed, S::TimedOut});
    allow(S::Pending, {S::Cancelled});
    allow(S::Running, {S::Running, S::Succeeded, S::Failed, S::TimedOut});
    allow(S::Running, {S::Cancelled});
    for (S undecided : {S::Failed, S::TimedOut}) {
        allow(undecided, {S::Running, S::Succeeded, S::Failed, S::TimedOut});
        allow(undecided, {S::RetryScheduled, S::Deferred, S::Exhausted, S::Cancelled});
    }
    allow(S::RetryScheduled, {S::Running, S::Succeeded, S::Failed, S::TimedOut});
    allow(S::RetryScheduled, {S::Deferred, S::Exhausted, S::Cancelled});
    allow(S::Deferred, {S::Running, S::Succeeded, S::Failed, S::TimedOut});
    allow(S::Deferred, {S::RetryScheduled, S::Deferred, S::Exhausted, S::Cancelled});
    // A dead task comes back only through a new attempt (an operator's, here or elsewhere).
    allow(S::Exhausted, {S::Running, S::Succeeded, S::Failed, S::TimedOut});
    allow(S::Exhausted, {S::Cancelled});
    allow(S::Cancelled, {S::Running, S::Succeeded, S::Failed, S::TimedOut});
    return t;
}
constexpr auto kAllowed = makeTable();
} // namespace

bool TaskStateMachine::isAllowed(TaskState from, TaskState to)
{
    return kAllowed[int(from)][int(to)];
}

Result<TransitionEvent> TaskStateMachine::transition(TaskState to, SteadyTime at, int attempt,
                                                     TransitionCause cause, QString detail)
{
    if (!isAllowed(m_state, to)) {
        return Result<TransitionEvent>::failure(
            QStringLiteral("invalid-transition"),
            QStringLiteral("task state %1 -> %2 is not allowed").arg(toText(m_state), toText(to)));
    }
    const TaskState from = m_state;
    m_state = to;
    return TransitionEvent{from, to, at, attempt, cause, std::move(detail)};
}

} // namespace rebound
