#include "session/request_id.hpp"

#include <sys/random.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <optional>

namespace forkd::session {
namespace {

// The process's last id: its random part (16 hex digits), then the counter's digits (8 at
// least, more once the counter needs them). Each new id is the last one counted up in place,
// as an odometer turns, instead of all its digits written anew. Length 0 until the first
// request of this process.
struct LastId {
    std::array<char, 32> text;
    std::size_t length = 0;
};
LastId g_last;

constexpr std::size_t kPrefixDigits = 16;
constexpr std::size_t kMinCounterDigits = 8;
constexpr char kHex[] = "0123456789abcdef";

std::uint64_t random_bits() {
    std::uint64_t bits = 0;
    if (::getrandom(&bits, sizeof bits, 0) == static_cast<ssize_t>(sizeof bits)) return bits;
    // No entropy yet (very early boot): time and address still tell processes apart.
    timespec now{};
    ::clock_gettime(CLOCK_REALTIME, &now);
    return (static_cast<std::uint64_t>(now.tv_sec) << 30) ^
           static_cast<std::uint64_t>(now.tv_nsec) ^ reinterpret_cast<std::uintptr_t>(&now);
}

// What this process's children's parts are made from: one draw, made at the first.
std::optional<std::uint64_t> g_child_draw;

// SplitMix64's finaliser: a bijection of 64-bit words that spreads every input bit over the
// whole output, so that consecutive children get unrelated-looking parts.
std::uint64_t mixed(std::uint64_t bits) {
    bits = (bits ^ (bits >> 30)) * 0xbf58476d1ce4e5b9ULL;
    bits = (bits ^ (bits >> 27)) * 0x94d049bb133111ebULL;
    return bits ^ (bits >> 31);
}

// The next id; valid until the next call.
std::string_view next_id() {
    if (g_last.length == 0) start_request_ids(random_bits());
    char* text = g_last.text.data();
    std::size_t digit = g_last.length;
    while (digit > kPrefixDigits && text[digit - 1] == 'f')
        text[--digit] = '0';  // carried into the digit before
    if (digit > kPrefixDigits) {
        char& last = text[digit - 1];
        last = last == '9' ? 'a' : static_cast<char>(last + 1);
    } else if (g_last.length < g_last.text.size()) {
        text[kPrefixDigits] = '1';  // every digit was f: the counter grows by one digit
        text[g_last.length++] = '0';
    } else {
        g_last.length = kPrefixDigits + kMinCounterDigits;  // 2^64 ids: zero again
    }
    return {text, g_last.length};
}

}  // namespace

std::string next_request_id() {
    return std::string(next_id());
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
    // Cleared and appended to: an append into room the string has is a plain copy, where
    // assign() takes the general path of a replacement.
    request.request_id.clear();
    request.request_id.append(next_id());
}

std::uint64_t child_request_id_part(std::uint64_t serial) {
    if (!g_child_draw) g_child_draw = random_bits();
    // An odd step: each serial gives another word, and mixed() keeps them apart.
    return mixed(*g_child_draw + serial * 0x9e3779b97f4a7c15ULL);
}

// The random part as 16 hex digits, then the counter at zero.
void start_request_ids(std::uint64_t part) {
    for (std::size_t i = kPrefixDigits; i-- > 0; part >>= 4)
        g_last.text[i] = kHex[part & 0xf];
    std::fill_n(g_last.text.begin() + kPrefixDigits, kMinCounterDigits, '0');
    g_last.length = kPrefixDigits + kMinCounterDigits;
}

}  // namespace forkd::session
