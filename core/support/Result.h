#pragma once

#include <QString>

#include <utility>
#include <variant>

namespace rebound {

/// An error value: a stable machine-readable code and a message that says what was wrong and
/// where, e.g. {"invalid-transition", "Succeeded -> Running is not allowed"}.
struct Error
{
    QString code;
    QString message;

    friend bool operator==(const Error &, const Error &) = default;
};

/// Either a value or an Error. Errors are values: nothing here throws.
template <typename T> class [[nodiscard]] Result
{
public:
    Result(T value) : m_data(std::in_place_index<0>, std::move(value)) {}
    Result(Error error) : m_data(std::in_place_index<1>, std::move(error)) {}

    static Result failure(QString code, QString message)
    {
        return Result(Error{std::move(code), std::move(message)});
    }

    bool ok() const { return m_data.index() == 0; }
    explicit operator bool() const { return ok(); }

    const T &value() const & { return std::get<0>(m_data); }
    T &value() & { return std::get<0>(m_data); }
    T &&value() && { return std::get<0>(std::move(m_data)); }
    const T &operator*() const & { return value(); }
    T &operator*() & { return value(); }
    const T *operator->() const { return &value(); }
    T *operator->() { return &value(); }
    /// The value, or `fallback` when this is an error.
    T value_or(T fallback) const & { return ok() ? value() : std::move(fallback); }

    const Error &error() const { return std::get<1>(m_data); }

private:
    std::variant<T, Error> m_data;
};

template <> class [[nodiscard]] Result<void>
{
public:
    Result() = default;
    Result(Error error) : m_error(std::move(error)), m_ok(false) {}

    static Result failure(QString code, QString message)
    {
        return Result(Error{std::move(code), std::move(message)});
    }

    bool ok() const { return m_ok; }
    explicit operator bool() const { return m_ok; }
    const Error &error() const { return m_error; }

private:
    Error m_error;
    bool m_ok = true;
};

} // namespace rebound
