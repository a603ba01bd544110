#pragma once

#include "ConsoleOptions.h"

#include <memory>

class QWidget;

namespace rebound {
class CredentialStore;
class EngineCommands;
namespace taskd {
class DemoService;
}
} // namespace rebound

/// What the console watches: the service --url names, the built-in demo service, or the
/// endpoints it remembers (their tokens from the keychain) — asking for one when it remembers
/// none.
class ConsoleEndpoints final
{
public:
    ConsoleEndpoints(const ConsoleOptions &options, rebound::EngineCommands &engine,
                     rebound::CredentialStore &credentials, QWidget *window);
    ~ConsoleEndpoints();
    ConsoleEndpoints(const ConsoleEndpoints &) = delete;
    ConsoleEndpoints &operator=(const ConsoleEndpoints &) = delete;

    /// Adds them to the engine; false when one cannot be (a message box has said why).
    bool add();
    /// Adds nothing more: the console is stopping (a keychain answer may still come).
    void close() { m_closed = true; }

private:
    bool addDemo();
    void addRemembered();

    const ConsoleOptions &m_options;
    rebound::EngineCommands &m_engine;
    rebound::CredentialStore &m_credentials;
    QWidget *m_window;
    std::unique_ptr<rebound::taskd::DemoService> m_demo;
    bool m_closed = false;
};
