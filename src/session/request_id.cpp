#include "session/request_id.hpp"

#include <sys/random.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <ctime>

namespace forkd::session {
namespace {

// The process's random part as 16 hex digits, then the counter's; empty until the first
// request of this process.
std::array<char, 16> g_prefix;
bool g_prefix_drawn = false;
std::uint64_t g_counter = 0;

constexpr char kHex[] = "0123456789abcdef";

void draw_prefix() {
    std::uint64_t bits = 0;
    if (::getrandom(&bits, sizeof bits, 0) != static_cast<ssize_t>(sizeof bits)) {
        // No entropy yet (very early boot): time and address still tell processes apart.
        timespec now{};
        ::clock_gettime(CLOCK_REALTIME, &now);
        bits = (static_cast<std::uint64_t>(now.tv_sec) << 30) ^
               static_cast<std::uint64_t>(now.tv_nsec) ^ reinterpret_cast<std::uintptr_t>(&now);
    }
    for (int i = 15; i >= 0; --i, bits >>= 4)
        g_prefix[i] = kHex[bits & 0xf];
    g_prefix_drawn = true;
}

// The next id, written into `id`; returns its length.
std::size_t write_next_id(std::array<char, 32>& id) {
    if (!g_prefix_drawn) draw_prefix();
    std::uint64_t count = ++g_counter;
    std::memcpy(id.data(), g_prefix.data(), g_prefix.size());
    // At least 8 digits, more once the counter needs them.
    int digits = 8;
    while (digits < 16 && (count >> (4 * digits)) != 0)
        ++digits;
    for (int i = digits - 1; i >= 0; --i, count >>= 4)
        id[16 + i] = kHex[count & 0xf];
    return 16 + static_cast<std::size_t>(digits);
}

}  // namespace

std::string next_request_id() {
    std::array<char, 32> id;
    return std::string(id.data(), write_next_id(id));
}

namespace {

bool usable_id(std::string_view id) {
    return !id.empty() && id.size() <= 128 && std::ranges::all_of(id, [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' ||
               c == '.' || c == ':';
    });
}

}  // namespace

void assign_request_id(Request& request, const TrustedProxies& trusted) {
    if (!trusted.empty() && trusted.trusts(request.peer_addr)) {
        std::optional<std::string_view> given = request.headers.get("X-Request-Id");
        if (given && usable_id(*given)) {
            request.request_id.assign(*given);
            return;
        }
    }
    // Into the id's own storage: a request the parser reuses keeps it (RequestParser::reset).
    std::array<char, 32> id;
    request.request_id.assign(id.data(), write_next_id(id));
}

void forget_request_ids() {
    g_prefix_drawn = false;
    g_counter = 0;
}

}  // namespace forkd::session
