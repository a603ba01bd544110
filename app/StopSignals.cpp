#include "StopSignals.h"

#include <QSocketNotifier>

#include <cerrno>
#include <csignal>
#include <sys/socket.h>
#include <unistd.h>

namespace {

int g_pipe[2] = {-1, -1};

void onSignal(int signal)
{
    // Async-signal-safe only: one byte to the event loop (SA_RESETHAND put the default back
    // for a second signal), and errno as the interrupted code left it.
    const int saved = errno;
    const char byte = char(signal);
    [[maybe_unused]] const ssize_t n = ::write(g_pipe[1], &byte, 1);
    errno = saved;
}

} // namespace

StopSignals::StopSignals(QObject *parent) : QObject(parent)
{
    Q_ASSERT(g_pipe[0] < 0); // one per process: the handler writes to one pipe
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, g_pipe) != 0)
        return; // without the pipe the defaults stay: the process ends as before
    m_notifier = new QSocketNotifier(g_pipe[0], QSocketNotifier::Read, this);
    connect(m_notifier, &QSocketNotifier::activated, this, [this] {
        char byte = 0;
        if (::read(g_pipe[0], &byte, 1) == 1)
            Q_EMIT stopRequested(int(byte));
    });
    struct sigaction action = {};
    action.sa_handler = onSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART | SA_RESETHAND;
    for (int s : {SIGINT, SIGTERM})
        ::sigaction(s, &action, nullptr);
}

StopSignals::~StopSignals()
{
    for (int s : {SIGINT, SIGTERM})
        std::signal(s, SIG_DFL);
    delete m_notifier;
    for (int &fd : g_pipe)
        if (fd >= 0)
            ::close(std::exchange(fd, -1));
}
