#include "imgfetch/util/http_date.hpp"

#include <array>

namespace imgfetch {

namespace {

constexpr std::string_view k_gmt = " GMT";
constexpr std::size_t k_fixdate_length = 29; // "Sun, 06 Nov 1994 08:49:37 GMT"
// Earlier years are left to the general parser, as libcurl's refuses them (Julian calendar).
constexpr int k_first_gregorian_year = 1583;

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// The number written by `count` decimal digits at `text[at]`, or -1 when one is not a digit.
int digits(std::string_view text, std::size_t at, std::size_t count) {
    int value = 0;
    for (std::size_t i = at; i < at + count; ++i) {
        if (!is_digit(text[i])) {
            return -1;
        }
        value = value * 10 + (text[i] - '0');
    }
    return value;
}

bool is_weekday(std::string_view name) {
    static constexpr std::array<std::string_view, 7> k_days = {"Sun", "Mon", "Tue", "Wed",
                                                               "Thu", "Fri", "Sat"};
    for (const std::string_view day : k_days) {
        if (name == day) {
            return true;
        }
    }
    return false;
}

// 1..12 for "Jan".."Dec", 0 otherwise.
int month_number(std::string_view name) {
    static constexpr std::array<std::string_view, 12> k_months = {
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    for (std::size_t i = 0; i < k_months.size(); ++i) {
        if (name == k_months[i]) {
            return static_cast<int>(i) + 1;
        }
    }
    return 0;
}

// Days from 1970-01-01 to the given date of the proleptic Gregorian calendar (month 1..12);
// the day may exceed the month's length. Eras of 400 years, with March as the first month so
// that a leap day ends its year.
std::int64_t days_from_civil(std::int64_t year, int month, int day) {
    year -= month <= 2 ? 1 : 0;
    const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
    const std::int64_t year_of_era = year - era * 400;
    const int shifted_month = month > 2 ? month - 3 : month + 9;
    const std::int64_t day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    const std::int64_t day_of_era =
        year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + day_of_era - 719468;
}

} // namespace

std::optional<std::int64_t> parse_imf_fixdate(std::string_view text) {
    // "Sun, 06 Nov 1994 08:49:37 GMT"
    //  0    5  8   12   17 20 23 25
    if (text.size() != k_fixdate_length || !is_weekday(text.substr(0, 3)) ||
        text.substr(3, 2) != ", " || text[7] != ' ' || text[11] != ' ' || text[16] != ' ' ||
        text[19] != ':' || text[22] != ':' || text.substr(25) != k_gmt) {
        return std::nullopt;
    }
    const int day = digits(text, 5, 2);
    const int month = month_number(text.substr(8, 3));
    const int year = digits(text, 12, 4);
    const int hour = digits(text, 17, 2);
    const int minute = digits(text, 20, 2);
    const int second = digits(text, 23, 2);
    if (day < 1 || day > 31 || month == 0 || year < k_first_gregorian_year || hour < 0 ||
        hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60) {
        return std::nullopt;
    }
    return days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
}

} // namespace imgfetch
