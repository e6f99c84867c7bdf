// Bytes checked eight at a time (SWAR: SIMD within a register), for the classes of bytes
// that are ranges or single values: a word with no byte to look at passes at once, and
// only a word with one goes byte by byte. Most of a request head's bytes (field values,
// the target) and of a path's are checked so.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace forkd::http::byte_words {

inline constexpr std::uint64_t kEachByte = 0x0101010101010101;
inline constexpr std::uint64_t kHighBits = 0x8080808080808080;

inline std::uint64_t load_word(const char* bytes) {
    std::uint64_t word;
    std::memcpy(&word, bytes, sizeof word);
    return word;
}

// Non-zero when some byte of `word` is below `n` (n <= 128).
constexpr std::uint64_t any_byte_below(std::uint64_t word, unsigned n) {
    return (word - kEachByte * n) & ~word & kHighBits;
}

// Non-zero when some byte of `word` is above `n` (n < 128).
constexpr std::uint64_t any_byte_above(std::uint64_t word, unsigned n) {
    return ((word + kEachByte * (127 - n)) | word) & kHighBits;
}

// Non-zero when some byte of `word` equals `n`.
constexpr std::uint64_t any_byte_equal(std::uint64_t word, unsigned n) {
    return any_byte_below(word ^ (kEachByte * n), 1);
}

// How many leading bytes of `s` surely pass, eight at a time: all of them when every word
// passes (the last word overlaps the one before it rather than leave a tail); otherwise
// those before the first word with a byte to look at, which the caller judges byte by
// byte, as it does a string shorter than a word.
template <typename WordPasses>
std::size_t words_passing(std::string_view s, WordPasses passes) {
    constexpr std::size_t kWord = sizeof(std::uint64_t);
    if (s.size() < kWord) return 0;
    std::size_t i = 0;
    for (; s.size() - i > kWord; i += kWord)
        if (!passes(load_word(s.data() + i))) return i;
    return passes(load_word(s.data() + s.size() - kWord)) ? s.size() : i;
}

}  // namespace forkd::http::byte_words
