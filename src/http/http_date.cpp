#include "http/http_date.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>

namespace forkd::http {
namespace {

// A cursor over the date text; each reader consumes exactly what it accepts.
class DateReader {
  public:
    explicit DateReader(std::string_view text) : text_(text) {}

    bool literal(std::string_view expected) {
        if (!text_.starts_with(expected)) return false;
        text_.remove_prefix(expected.size());
        return true;
    }
    // Exactly `count` digits (a leading space stands for a zero when `space_padded`).
    std::optional<int> digits(std::size_t count, bool space_padded = false) {
        if (text_.size() < count) return std::nullopt;
        int value = 0;
        for (std::size_t i = 0; i < count; ++i) {
            const char c = text_[i];
            if (c == ' ' && space_padded && i == 0) continue;
            if (c < '0' || c > '9') return std::nullopt;
            value = value * 10 + (c - '0');
        }
        text_.remove_prefix(count);
        return value;
    }
    // A month name: 1..12.
    std::optional<int> month() {
        static constexpr std::array<std::string_view, 12> kMonths = {
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
        for (std::size_t i = 0; i < kMonths.size(); ++i)
            if (literal(kMonths[i])) return static_cast<int>(i) + 1;
        return std::nullopt;
    }
    // A day name, short ("Sun") or long ("Sunday").
    bool day_name(bool long_form) {
        static constexpr std::array<std::string_view, 7> kDays = {
            "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};
        for (std::string_view day : kDays)
            if (literal(long_form ? day : day.substr(0, 3))) return true;
        return false;
    }
    bool done() const { return text_.empty(); }

  private:
    std::string_view text_;
};

struct Fields {
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
};

// "08:49:37"
bool read_time(DateReader& in, Fields& f) {
    auto h = in.digits(2);
    if (!h || !in.literal(":")) return false;
    auto m = in.digits(2);
    if (!m || !in.literal(":")) return false;
    auto s = in.digits(2);
    if (!s) return false;
    f.hour = *h, f.minute = *m, f.second = *s;
    return true;
}

std::optional<Fields> read_imf_fixdate(std::string_view text) {
    DateReader in(text);
    Fields f;
    if (!in.day_name(false) || !in.literal(", ")) return std::nullopt;
    auto day = in.digits(2);
    if (!day || !in.literal(" ")) return std::nullopt;
    auto month = in.month();
    if (!month || !in.literal(" ")) return std::nullopt;
    auto year = in.digits(4);
    if (!year || !in.literal(" ") || !read_time(in, f) || !in.literal(" GMT") || !in.done())
        return std::nullopt;
    f.year = *year, f.month = *month, f.day = *day;
    return f;
}

std::optional<Fields> read_rfc850_date(std::string_view text) {
    DateReader in(text);
    Fields f;
    if (!in.day_name(true) || !in.literal(", ")) return std::nullopt;
    auto day = in.digits(2);
    if (!day || !in.literal("-")) return std::nullopt;
    auto month = in.month();
    if (!month || !in.literal("-")) return std::nullopt;
    auto year = in.digits(2);
    if (!year || !in.literal(" ") || !read_time(in, f) || !in.literal(" GMT") || !in.done())
        return std::nullopt;
    // Two-digit years (RFC 9110 §5.6.7 asks for the most recent past century; 1970 is where
    // a time_t starts, so 70..99 are 19xx and the rest 20xx).
    f.year = *year >= 70 ? 1900 + *year : 2000 + *year;
    f.month = *month, f.day = *day;
    return f;
}

std::optional<Fields> read_asctime_date(std::string_view text) {
    DateReader in(text);
    Fields f;
    if (!in.day_name(false) || !in.literal(" ")) return std::nullopt;
    auto month = in.month();
    if (!month || !in.literal(" ")) return std::nullopt;
    auto day = in.digits(2, true);
    if (!day || !in.literal(" ") || !read_time(in, f) || !in.literal(" ")) return std::nullopt;
    auto year = in.digits(4);
    if (!year || !in.done()) return std::nullopt;
    f.year = *year, f.month = *month, f.day = *day;
    return f;
}

std::optional<std::time_t> to_time(const Fields& f) {
    using namespace std::chrono;
    const year_month_day date{year{f.year}, month{static_cast<unsigned>(f.month)},
                              day{static_cast<unsigned>(f.day)}};
    if (!date.ok() || f.hour > 23 || f.minute > 59 || f.second > 60) return std::nullopt;
    const auto days = sys_days(date).time_since_epoch().count();
    return static_cast<std::time_t>(days) * 86400 + f.hour * 3600 + f.minute * 60 + f.second;
}

void put_two_digits(char* at, unsigned value) {
    at[0] = static_cast<char>('0' + value / 10);
    at[1] = static_cast<char>('0' + value % 10);
}

}  // namespace

std::optional<std::time_t> parse_http_date(std::string_view text) {
    std::optional<Fields> fields = read_imf_fixdate(text);
    if (!fields) fields = read_rfc850_date(text);
    if (!fields) fields = read_asctime_date(text);
    if (!fields) return std::nullopt;
    return to_time(*fields);
}

void format_http_date(std::time_t when, char (&out)[kHttpDateLength]) {
    using namespace std::chrono;
    // 0000-01-01 00:00:00 and 9999-12-31 23:59:59 UTC, the four-digit years.
    constexpr std::time_t kFirst = -62167219200;
    constexpr std::time_t kLast = 253402300799;
    const sys_seconds time{seconds{std::clamp(when, kFirst, kLast)}};
    const sys_days day = floor<days>(time);
    const year_month_day date{day};
    const hh_mm_ss clock{time - day};
    static constexpr char kDays[] = "SunMonTueWedThuFriSat";
    static constexpr char kMonths[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    const unsigned weekday_index = weekday{day}.c_encoding();  // 0: Sunday
    const unsigned month_index = static_cast<unsigned>(date.month()) - 1;
    const auto year = static_cast<unsigned>(static_cast<int>(date.year()));
    char* at = out;
    std::memcpy(at, kDays + 3 * weekday_index, 3);
    std::memcpy(at + 3, ", ", 2);
    put_two_digits(at + 5, static_cast<unsigned>(date.day()));
    at[7] = ' ';
    std::memcpy(at + 8, kMonths + 3 * month_index, 3);
    at[11] = ' ';
    put_two_digits(at + 12, year / 100);
    put_two_digits(at + 14, year % 100);
    at[16] = ' ';
    put_two_digits(at + 17, static_cast<unsigned>(clock.hours().count()));
    at[19] = ':';
    put_two_digits(at + 20, static_cast<unsigned>(clock.minutes().count()));
    at[22] = ':';
    put_two_digits(at + 23, static_cast<unsigned>(clock.seconds().count()));
    std::memcpy(at + 25, " GMT", 4);
}

}  // namespace forkd::http
