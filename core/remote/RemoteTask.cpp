#include "remote/RemoteTask.h"

#include <array>

namespace rebound {

namespace {
constexpr std::array<const char *, 5> kStates = {"pending", "running", "succeeded", "failed",
                                                 "cancelled"};
constexpr std::array<const char *, 4> kOutcomes = {"running", "succeeded", "failed", "timeout"};
constexpr std::array<const char *, 3> kReasons = {"initial", "auto", "operator"};

template <typename E, std::size_t N>
std::optional<E> lookup(const std::array<const char *, N> &names, const QString &s)
{
    for (std::size_t i = 0; i < N; ++i) {
        if (s == QLatin1String(names[i]))
            return static_cast<E>(i);
    }
    return std::nullopt;
}
} // namespace

QString toText(RemoteState s)
{
    return QString::fromLatin1(kStates[static_cast<std::size_t>(s)]);
}
QString toText(AttemptOutcome o)
{
    return QString::fromLatin1(kOutcomes[static_cast<std::size_t>(o)]);
}
QString toText(AttemptReason r)
{
    return QString::fromLatin1(kReasons[static_cast<std::size_t>(r)]);
}
std::optional<RemoteState> remoteStateFromText(const QString &s)
{
    return lookup<RemoteState>(kStates, s);
}
std::optional<AttemptOutcome> attemptOutcomeFromText(const QString &s)
{
    return lookup<AttemptOutcome>(kOutcomes, s);
}
std::optional<AttemptReason> attemptReasonFromText(const QString &s)
{
    return lookup<AttemptReason>(kReasons, s);
}

Failure failureOf(const RemoteAttempt &a)
{
    Failure f;
    if (a.outcome == AttemptOutcome::Timeout)
        f.transport = TransportError::Timeout;
    f.httpStatus = a.httpStatus.value_or(0);
    f.problem = a.problem.toOptional();
    if (a.retryAfterMs)
        f.retryAfter = Duration(*a.retryAfterMs);
    return f;
}

} // namespace rebound
