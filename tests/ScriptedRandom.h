#pragma once

#include "time/RandomSource.h"

#include <vector>

/// A RandomSource that returns a fixed script of unit values, cycling: tests know every draw.
class ScriptedRandom final : public rebound::RandomSource
{
public:
    explicit ScriptedRandom(std::vector<double> script) : m_script(std::move(script)) {}
    double nextUnit() override
    {
        ++m_draws;
        return m_script[m_next++ % m_script.size()];
    }
    int draws() const { return m_draws; }

private:
    std::vector<double> m_script;
    std::size_t m_next = 0;
    int m_draws = 0;
};
