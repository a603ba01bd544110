#include "support/HttpDate.h"

#include <array>
#include <cstring>

namespace rebound {

namespace {

constexpr std::array<const char *, 7> kDays = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
constexpr std::array<const char *, 7> kLongDays = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                                   "Friday", "Saturday", "Sunday"};
constexpr std::array<const char *, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// Howard Hinnant's days_from_civil: proleptic Gregorian date -> days since 1970-01-01.
std::int64_t daysFromCivil(std::int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void civilFromDays(std::int64_t z, std::int64_t &y, unsigned &m, unsigned &d)
{
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    y = static_cast<std::int64_t>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
}

bool isLeap(std::int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned daysInMonth(std::int64_t y, unsigned m)
{
    static constexpr unsigned kDim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && isLeap(y) ? 29 : kDim[m - 1];
}

// A tiny cursor over the header value; every reader fails cleanly at the end of input.
struct Cursor
{
    QByteArrayView s;
    qsizetype i = 0;

    bool atEnd() const { return i >= s.size(); }
    bool lit(const char *text)
    {
        const auto n = static_cast<qsizetype>(std::strlen(text));
        if (s.size() - i < n || std::memcmp(s.data() + i, text, static_cast<std::size_t>(n)) != 0)
            return false;
        i += n;
        return true;
    }
    bool ch(char c)
    {
        if (atEnd() || s[i] != c)
            return false;
        ++i;
        return true;
    }
    // Exactly n digits (n fixed) -> value.
    bool digits(int n, int &out)
    {
        out = 0;
        for (int k = 0; k < n; ++k) {
            if (atEnd() || s[i] < '0' || s[i] > '9')
                return false;
            out = out * 10 + (s[i++] - '0');
        }
        return true;
    }
    template <std::size_t N> int oneOf(const std::array<const char *, N> &names)
    {
        for (std::size_t k = 0; k < N; ++k) {
            if (lit(names[k]))
                return static_cast<int>(k);
        }
        return -1;
    }
};

bool timeOfDay(Cursor &c, int &h, int &mi, int &sec)
{
    return c.digits(2, h) && c.ch(':') && c.digits(2, mi) && c.ch(':') && c.digits(2, sec) &&
           h <= 23 && mi <= 59 && sec <= 60; // 60: leap second, clamped below
}

std::optional<std::int64_t> assemble(std::int64_t y, int month, int day, int h, int mi, int sec)
{
    if (month < 1 || month > 12 || day < 1 || static_cast<unsigned>(day) > daysInMonth(y, month))
        return std::nullopt;
    if (sec == 60)
        sec = 59;
    const std::int64_t days =
        daysFromCivil(y, static_cast<unsigned>(month), static_cast<unsigned>(day));
    return ((days * 24 + h) * 60 + mi) * 60'000 + std::int64_t(sec) * 1000;
}

} // namespace

std::optional<std::int64_t> HttpDate::parse(QByteArrayView text, std::int64_t nowMs)
{
    Cursor c{text};
    int h = 0, mi = 0, sec = 0, day = 0, year = 0;

    // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
    if (c.oneOf(kDays) >= 0 && c.ch(',')) {
        int month = 0;
        if (!(c.ch(' ') && c.digits(2, day) && c.ch(' ')))
            return std::nullopt;
        if ((month = c.oneOf(kMonths)) < 0)
            return std::nullopt;
        if (!(c.ch(' ') && c.digits(4, year) && c.ch(' ') && timeOfDay(c, h, mi, sec) &&
              c.lit(" GMT") && c.atEnd()))
            return std::nullopt;
        return assemble(year, month + 1, day, h, mi, sec);
    }

    // rfc850-date: Sunday, 06-Nov-94 08:49:37 GMT
    c.i = 0;
    if (c.oneOf(kLongDays) >= 0) {
        int month = 0, yy = 0;
        if (!(c.ch(',') && c.ch(' ') && c.digits(2, day) && c.ch('-')))
            return std::nullopt;
        if ((month = c.oneOf(kMonths)) < 0)
            return std::nullopt;
        if (!(c.ch('-') && c.digits(2, yy) && c.ch(' ') && timeOfDay(c, h, mi, sec) &&
              c.lit(" GMT") && c.atEnd()))
            return std::nullopt;
        std::int64_t nowYear = 0;
        unsigned nm = 0, nd = 0;
        civilFromDays(nowMs >= 0 ? nowMs / 86'400'000 : (nowMs - 86'399'999) / 86'400'000, nowYear,
                      nm, nd);
        std::int64_t y = nowYear - (nowYear % 100) + yy;
        if (y > nowYear + 50)
            y -= 100;
        return assemble(y, month + 1, day, h, mi, sec);
    }

    // asctime-date: Sun Nov  6 08:49:37 1994
    c.i = 0;
    if (c.oneOf(kDays) >= 0 && c.ch(' ')) {
        const int month = c.oneOf(kMonths);
        if (month < 0 || !c.ch(' '))
            return std::nullopt;
        if (c.ch(' ')) {
            if (!c.digits(1, day))
                return std::nullopt;
        } else if (!c.digits(2, day)) {
            return std::nullopt;
        }
        if (!(c.ch(' ') && timeOfDay(c, h, mi, sec) && c.ch(' ') && c.digits(4, year) && c.atEnd()))
            return std::nullopt;
        return assemble(year, month + 1, day, h, mi, sec);
    }
    return std::nullopt;
}

QByteArray HttpDate::format(std::int64_t ms)
{
    const std::int64_t days = ms >= 0 ? ms / 86'400'000 : (ms - 86'399'999) / 86'400'000;
    const std::int64_t rem = (ms - days * 86'400'000) / 1000;
    std::int64_t y = 0;
    unsigned m = 0, d = 0;
    civilFromDays(days, y, m, d);
    const auto weekday = static_cast<std::size_t>(((days % 7) + 7 + 3) % 7); // 1970-01-01: Thu
    char buf[40];
    std::snprintf(buf, sizeof buf, "%s, %02u %s %04lld %02lld:%02lld:%02lld GMT", kDays[weekday], d,
                  kMonths[m - 1], static_cast<long long>(y), static_cast<long long>(rem / 3600),
                  static_cast<long long>(rem / 60 % 60), static_cast<long long>(rem % 60));
    return QByteArray(buf);
}

} // namespace rebound
