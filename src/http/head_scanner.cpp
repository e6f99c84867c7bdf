#include "http/head_scanner.hpp"

#include <array>
#include <string>

#include "http/bodiless_head.hpp"
#include "http/byte_words.hpp"

namespace forkd::http {

namespace {

bool ends_with_crlf(std::string_view line) {
    return line.size() >= 2 && line[line.size() - 2] == '\r';
}

// The byte classes of RFC 9110/9112 as one table, so that a line is checked with one load
// per byte: every request's head goes through these checks.
enum ByteClass : unsigned char {
    kTchar = 1,       // RFC 9110 §5.6.2: methods and field names
    kFieldValue = 2,  // RFC 9110 §5.5: HTAB, SP, VCHAR, obs-text
    kTarget = 4,      // the request-target's characters (RFC 3986 plus '%'): visible ASCII
};

constexpr std::array<unsigned char, 256> kByteClasses = [] {
    std::array<unsigned char, 256> classes{};
    for (int c = 0; c < 256; ++c) {
        const bool tchar = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                           (c >= '0' && c <= '9') ||
                           std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) !=
                               std::string_view::npos;
        classes[c] = static_cast<unsigned char>(
            (tchar ? kTchar : 0) | (c == '\t' || (c >= 0x20 && c != 0x7f) ? kFieldValue : 0) |
            (c > 0x20 && c < 0x7f ? kTarget : 0));
    }
    return classes;
}();

bool in_class(char c, ByteClass wanted) {
    return (kByteClasses[static_cast<unsigned char>(c)] & wanted) != 0;
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

bool all_in_class(std::string_view s, ByteClass wanted) {
    for (char c : s)
        if (!in_class(c, wanted)) return false;
    return true;
}

// Field values and targets are most of a head's bytes (a browser sends hundreds), so
// their two classes, which are ranges, are checked eight bytes at a time (byte_words.hpp).
// RFC 9110 §5.5: HTAB, SP, VCHAR, obs-text. A word with no byte below SP (HTAB among
// them, which the table then admits) and no DEL passes.
bool all_field_value_bytes(std::string_view s) {
    using namespace byte_words;
    const std::size_t checked = words_passing(s, [](std::uint64_t word) {
        return (any_byte_below(word, 0x20) | any_byte_equal(word, 0x7f)) == 0;
    });
    return all_in_class(s.substr(checked), kFieldValue);
}

// The request-target's bytes: visible ASCII, 0x21 to 0x7e.
bool all_target_bytes(std::string_view s) {
    using namespace byte_words;
    const std::size_t checked = words_passing(s, [](std::uint64_t word) {
        return (any_byte_below(word, 0x21) | any_byte_above(word, 0x7e)) == 0;
    });
    return all_in_class(s.substr(checked), kTarget);
}

// RFC 9112 §5 for one field line without its CRLF; nullptr when it is well formed.
const char* field_line_problem(std::string_view text) {
    if (text.find('\r') != std::string_view::npos) return "bare CR in field line";
    if (text[0] == ' ' || text[0] == '\t') return "obs-fold";

    const std::size_t colon = text.find(':');
    if (colon == std::string_view::npos) return "field line without colon";
    const std::string_view name = text.substr(0, colon);
    if (name.empty()) return "empty field name";
    if (name.back() == ' ' || name.back() == '\t') return "whitespace between field name and colon";
    if (!all_in_class(name, kTchar)) return "invalid field name";
    if (!all_field_value_bytes(text.substr(colon + 1))) return "control character in field value";
    return nullptr;
}

// The common case first: a name of tchar, a colon, a value of field-value bytes. Returns
// where the colon is, or npos; only a line that fails is diagnosed (field_line_problem)
// for the reason to report.
std::size_t well_formed_field_colon(std::string_view text) {
    std::size_t i = 0;
    while (i < text.size() && in_class(text[i], kTchar))
        ++i;
    if (i == 0 || i == text.size() || text[i] != ':') return std::string_view::npos;
    return all_field_value_bytes(text.substr(i + 1)) ? i : std::string_view::npos;
}

// The common case first: "method SP target SP HTTP/1.d" with a tchar method
// and a visible-ASCII target. Returns where the first SP is, or npos; only a line that
// fails is diagnosed (HeadScanner::request_line_problem), which accepts exactly the same.
std::size_t well_formed_request_line_space(std::string_view text) {
    std::size_t i = 0;
    while (i < text.size() && in_class(text[i], kTchar))
        ++i;
    const std::size_t sp1 = i;
    // The version has a fixed size, so the second SP is where it must be.
    if (sp1 == 0 || text.size() < sp1 + 11 || text[sp1] != ' ') return std::string_view::npos;
    const std::size_t sp2 = text.size() - 9;
    if (text[sp2] != ' ' || !all_target_bytes(text.substr(sp1 + 1, sp2 - sp1 - 1)))
        return std::string_view::npos;
    const std::string_view version = text.substr(sp2 + 1);
    if (version.substr(0, 7) != "HTTP/1." || !is_digit(version[7])) return std::string_view::npos;
    return sp1;
}

}  // namespace

std::optional<ParseError> check_chunk_extensions(std::string_view extensions) {
    if (all_field_value_bytes(extensions)) return std::nullopt;
    return ParseError{400, "control character in chunk extension"};
}

std::optional<ParseError> check_trailer_section(std::string_view section) {
    for (;;) {
        const std::size_t lf = section.find('\n');
        if (lf == std::string_view::npos) return ParseError{400, "trailer section not ended"};
        const std::string_view line = section.substr(0, lf + 1);
        if (!ends_with_crlf(line)) return ParseError{400, "trailer line not ended by CRLF"};
        if (line.size() == 2) return std::nullopt;  // the empty line ending the section
        if (const char* problem = field_line_problem(line.substr(0, line.size() - 2)))
            return ParseError{400, std::string(problem) + " in trailer section"};
        section.remove_prefix(lf + 1);
    }
}

bool is_field_value_char(char c) {
    return in_class(c, kFieldValue);
}

bool is_tchar(char c) {
    return in_class(c, kTchar);
}

void HeadScanner::restart() {
    empty_lines_ = 0;
    in_head_ = false;
    line_start_ = search_from_ = fields_start_ = head_size_ = 0;
    error_.reset();
}

std::size_t HeadScanner::skip_empty_lines(std::string_view bytes) {
    std::size_t i = 0;
    while (i < bytes.size() && !in_head_) {
        std::size_t line = 0;
        if (bytes[i] == '\n') {
            line = 1;
        } else if (bytes[i] == '\r' && i + 1 == bytes.size()) {
            break;  // CR LF or the start of a request line: wait for the next byte
        } else if (bytes[i] == '\r' && bytes[i + 1] == '\n') {
            line = 2;
        } else {
            in_head_ = true;
            break;
        }
        if (++empty_lines_ > limits_.max_request_line) {
            fail(400, "too many empty lines before the request line");
            break;
        }
        i += line;
    }
    return i;
}

HeadScanner::Result HeadScanner::scan(std::string_view head) {
    for (;;) {
        const std::size_t lf = head.find('\n', search_from_);
        if (lf == std::string_view::npos) {
            search_from_ = head.size();
            return check_partial_line(head);
        }
        const std::string_view line = head.substr(line_start_, lf + 1 - line_start_);
        const Result result =
            fields_start_ == 0 ? finish_request_line(line) : finish_field_line(line, lf + 1);
        if (result != Result::need_more) return result;
        line_start_ = search_from_ = lf + 1;
        if (fields_start_ == 0) fields_start_ = lf + 1;
    }
}

// A line without its LF yet: refuse it early only when its length already exceeds a limit
// (any ending would), so that splitting the bytes elsewhere cannot change the answer.
HeadScanner::Result HeadScanner::check_partial_line(std::string_view head) {
    if (fields_start_ == 0) {
        // A trailing CR may be the start of the CRLF, so it does not count yet.
        const std::size_t text = head.size() - (head.ends_with('\r') ? 1 : 0);
        if (text > limits_.max_request_line) return fail(414, "request line too long");
        return Result::need_more;
    }
    // The section will end at least one byte (the LF) past what is buffered.
    if (head.size() - fields_start_ >= limits_.max_header_size)
        return fail(431, "header section too large");
    return Result::need_more;
}

HeadScanner::Result HeadScanner::finish_request_line(std::string_view line) {
    const std::string_view text = line.substr(0, line.size() - (ends_with_crlf(line) ? 2 : 1));
    if (text.size() > limits_.max_request_line) return fail(414, "request line too long");
    if (!ends_with_crlf(line)) return fail(400, "request line not ended by CRLF");
    const std::size_t sp1 = well_formed_request_line_space(text);
    if (sp1 == std::string_view::npos) return request_line_problem(text);
    if (reader_ != nullptr) {
        const std::size_t sp2 = text.size() - 9;
        reader_->request_line(text.substr(0, sp1), text.substr(sp1 + 1, sp2 - sp1 - 1),
                              text.back());
    }
    return Result::need_more;
}

// Why a request line that is not well formed is refused.
HeadScanner::Result HeadScanner::request_line_problem(std::string_view text) {
    if (text.find('\r') != std::string_view::npos) return fail(400, "bare CR in request line");
    const std::size_t sp1 = text.find(' ');
    if (sp1 == std::string_view::npos) return fail(400, "malformed request line");
    const std::size_t sp2 = text.find(' ', sp1 + 1);
    const std::string_view method = text.substr(0, sp1);
    const std::string_view target = text.substr(sp1 + 1, sp2 - sp1 - 1);
    if (method.empty() || !all_in_class(method, kTchar)) return fail(400, "invalid method");
    if (target.empty() || !all_target_bytes(target)) return fail(400, "invalid request-target");
    if (sp2 == std::string_view::npos) return fail(505, "HTTP/0.9 request");

    const std::string_view version = text.substr(sp2 + 1);
    const bool well_formed = version.size() == 8 && version.substr(0, 5) == "HTTP/" &&
                             is_digit(version[5]) && version[6] == '.' && is_digit(version[7]);
    if (!well_formed) return fail(400, "malformed HTTP version");
    // RFC 9110 §2.5: a higher minor version of HTTP/1 is processed as 1.1 (the readers do
    // so); other majors are not supported.
    if (version[5] != '1') return fail(505, "HTTP version not supported");
    return fail(400, "malformed request line");  // not reached: the common case took it
}

HeadScanner::Result HeadScanner::finish_field_line(std::string_view line, std::size_t line_end) {
    if (line_end - fields_start_ > limits_.max_header_size)
        return fail(431, "header section too large");
    if (!ends_with_crlf(line)) return fail(400, "field line not ended by CRLF");
    const std::string_view text = line.substr(0, line.size() - 2);
    if (text.empty()) {
        head_size_ = line_end;
        return Result::done;
    }
    const std::size_t colon = well_formed_field_colon(text);
    if (colon != std::string_view::npos) {
        if (reader_ != nullptr) reader_->field_line(text.substr(0, colon), text.substr(colon + 1));
        return Result::need_more;
    }
    const char* problem = field_line_problem(text);
    return fail(400, problem != nullptr ? problem : "malformed field line");
}

HeadScanner::Result HeadScanner::fail(int status, std::string_view reason) {
    error_ = ParseError{status, std::string(reason)};
    return Result::error;
}

}  // namespace forkd::http
