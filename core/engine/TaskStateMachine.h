#pragma once

#include "Result.h"
#include "TaskState.h"
#include "Time.h"

namespace rebound {

/// What every transition yields: enough to log it, persist it and show it.
struct TransitionEvent
{
    TaskState from;
    TaskState to;
    SteadyTime at;
    int attempt; ///< attempt number after the transition (entering Running increments it)
    TransitionCause cause;
    QString detail;
};

/// The lifecycle of one task as Rebound sees it. All legal moves are in one table
/// (TaskStateMachine::isAllowed); anything else is refused with an error value and leaves the
/// machine untouched.
class TaskStateMachine final
{
public:
    explicit TaskStateMachine(TaskState initial = TaskState::Pending, int attempt = 0)
        : m_state(initial), m_attempt(attempt)
    {}

    static bool isAllowed(TaskState from, TaskState to);

    Result<TransitionEvent> transition(TaskState to, SteadyTime at, TransitionCause cause,
                                       QString detail = {});

    TaskState state() const { return m_state; }
    int attempt() const { return m_attempt; }

private:
    TaskState m_state;
    int m_attempt;
};

} // namespace rebound
