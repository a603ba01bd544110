#pragma once

#include <memory>
#include <optional>

namespace rebound {

/// An optional value kept on the heap: one pointer wide when empty. For large members most
/// objects leave empty (a watched task's decision, backoff or problem details): a million
/// watched tasks carry 16 bytes for each instead of its whole size. The interface is the part
/// of std::optional the engine uses, and copies are deep.
template <typename T> class Boxed
{
public:
    Boxed() = default;
    Boxed(std::nullopt_t) {}
    Boxed(const T &v) : m_p(std::make_unique<T>(v)) {}
    Boxed(T &&v) : m_p(std::make_unique<T>(std::move(v))) {}
    Boxed(const std::optional<T> &v) : m_p(v ? std::make_unique<T>(*v) : nullptr) {}
    Boxed(const Boxed &o) : m_p(o.m_p ? std::make_unique<T>(*o.m_p) : nullptr) {}
    Boxed(Boxed &&) noexcept = default;
    Boxed &operator=(const Boxed &o)
    {
        if (this != &o)
            m_p = o.m_p ? std::make_unique<T>(*o.m_p) : nullptr;
        return *this;
    }
    Boxed &operator=(Boxed &&) noexcept = default;
    Boxed &operator=(std::nullopt_t)
    {
        m_p.reset();
        return *this;
    }
    ~Boxed() = default;

    template <typename... Args> T &emplace(Args &&...args)
    {
        m_p = std::make_unique<T>(std::forward<Args>(args)...);
        return *m_p;
    }
    void reset() { m_p.reset(); }
    bool has_value() const { return m_p != nullptr; }
    explicit operator bool() const { return m_p != nullptr; }
    T &operator*() { return *m_p; }
    const T &operator*() const { return *m_p; }
    T *operator->() { return m_p.get(); }
    const T *operator->() const { return m_p.get(); }
    std::optional<T> toOptional() const { return m_p ? std::optional<T>(*m_p) : std::nullopt; }

    friend bool operator==(const Boxed &a, const Boxed &b)
    {
        return a.has_value() == b.has_value() && (!a.has_value() || *a == *b);
    }

private:
    std::unique_ptr<T> m_p;
};

} // namespace rebound
