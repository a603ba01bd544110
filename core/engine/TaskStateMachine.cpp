#include "TaskStateMachine.h"

#include <array>

namespace rebound {

namespace {
using S = TaskState;
constexpr int N = TaskStateCount;

// kAllowed[from][to]. Failed/TimedOut are short-lived: the retry decision moves them on to
// RetryScheduled, Exhausted (any Stop but Cancelled) or Cancelled. A deferred decision keeps a
// task in RetryScheduled without a transition.
constexpr std::array<std::array<bool, N>, N> makeTable()
{
    std::array<std::array<bool, N>, N> t{};
    auto allow = [&t](S from, S to) { t[int(from)][int(to)] = true; };
    allow(S::Pending, S::Running);
    allow(S::Pending, S::Cancelled);
    allow(S::Running, S::Succeeded);
    allow(S::Running, S::Failed);
    allow(S::Running, S::TimedOut);
    allow(S::Running, S::Cancelled);
    for (S failed : {S::Failed, S::TimedOut}) {
        allow(failed, S::RetryScheduled);
        allow(failed, S::Exhausted);
        allow(failed, S::Cancelled);
    }
    allow(S::RetryScheduled, S::Running);
    allow(S::RetryScheduled, S::Exhausted);
    allow(S::RetryScheduled, S::Cancelled);
    return t;
}
constexpr auto kAllowed = makeTable();
} // namespace

bool TaskStateMachine::isAllowed(TaskState from, TaskState to)
{
    return kAllowed[int(from)][int(to)];
}

Result<TransitionEvent> TaskStateMachine::transition(TaskState to, SteadyTime at,
                                                     TransitionCause cause, QString detail)
{
    if (!isAllowed(m_state, to)) {
        return Result<TransitionEvent>::failure(
            QStringLiteral("invalid-transition"),
            QStringLiteral("task state %1 -> %2 is not allowed").arg(toText(m_state), toText(to)));
    }
    const TaskState from = m_state;
    m_state = to;
    if (to == TaskState::Running)
        ++m_attempt;
    return TransitionEvent{from, to, at, m_attempt, cause, std::move(detail)};
}

} // namespace rebound
