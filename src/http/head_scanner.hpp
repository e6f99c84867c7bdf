// Finds the end of a request's head in the caller's bytes before Beast sees any of it.
//
// It enforces what Beast 1.74 cannot: a limit for the request line (414) apart from the limit
// for the header section (431), both detected before the line end arrives; a bounded run of
// empty lines before the request line (RFC 9112 §2.2); and the byte rules of RFC 9112 §2-§5
// that Beast either accepts or reports as one generic error: bare CR, obs-fold, control bytes
// in field values, whitespace before the colon, HTTP major versions other than 1 (505).
//
// Every check is made on a complete line, or on a partial line only when its length alone
// already decides the outcome, so the result does not depend on how the bytes were split.
// A line that passes is handed to the BodilessHead reader, if any, in the same pass.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include "http/parse_error.hpp"
#include "http/request_parser.hpp"

namespace forkd::http {

class BodilessHead;

class HeadScanner {
  public:
    enum class Result { need_more, done, error };

    // With a `reader`, each line is handed to it as soon as it is checked (the head may be
    // read without Beast); without one the scanner only checks.
    explicit HeadScanner(const Limits& limits, BodilessHead* reader = nullptr)
        : limits_(limits), reader_(reader) {}

    // For the next head: as constructed, in place.
    void restart();
    // For the heads after this one.
    void set_limits(const Limits& limits) { limits_ = limits; }
    // Whether the lines are handed to a reader.
    bool reads_without_beast() const { return reader_ != nullptr; }

    // Skips the empty lines (CRLF or LF) at the front of `bytes` and returns how many bytes
    // it skipped; the caller consumes them. Sets error() when there are too many.
    std::size_t skip_empty_lines(std::string_view bytes);
    // True once the first byte of the request line has been seen.
    bool in_head() const { return in_head_; }

    // `head` starts at the request line and holds every byte received so far (the same
    // prefix on every call). Returns done once the blank line ending the head is found.
    Result scan(std::string_view head);
    // The size of the head, blank line included; valid once scan() returned done.
    std::size_t head_size() const { return head_size_; }

    const std::optional<ParseError>& error() const { return error_; }

  private:
    Result check_partial_line(std::string_view head);
    Result finish_request_line(std::string_view line);
    Result request_line_problem(std::string_view text);
    Result finish_field_line(std::string_view line, std::size_t line_end);
    Result fail(int status, std::string_view reason);

    Limits limits_;
    BodilessHead* reader_;
    std::size_t empty_lines_ = 0;
    bool in_head_ = false;
    std::size_t line_start_ = 0;    // where the line being scanned starts
    std::size_t search_from_ = 0;   // where to look for its LF (bytes before hold none)
    std::size_t fields_start_ = 0;  // 0 until the request line has ended
    std::size_t head_size_ = 0;
    std::optional<ParseError> error_;
};

// RFC 9110 §5.6.2 tchar, the characters of methods and field names.
bool is_tchar(char c);
// RFC 9110 §5.5: field-value bytes are HTAB, SP, VCHAR and obs-text.
bool is_field_value_char(char c);

// The trailer section of a chunked body (RFC 9112 §7.1.2), from its first byte through at
// least the empty line that ends it: every field line must follow the same rules as the
// header section's (Beast alone would accept obs-fold there).
std::optional<ParseError> check_trailer_section(std::string_view section);

// A chunk's extensions (RFC 9112 §7.1.1) as Beast hands them over: Beast checks their
// structure but lets any byte through inside a quoted string, where only HTAB, SP, VCHAR
// and obs-text belong.
std::optional<ParseError> check_chunk_extensions(std::string_view extensions);

}  // namespace forkd::http
