// FastCGI 1.0 records, the client's side (the FastCGI Specification, Open Market 1996): the
// constants of the protocol, the 8-byte record header, name-value pairs, and the records a
// web server sends (BEGIN_REQUEST, PARAMS, STDIN, ABORT_REQUEST, GET_VALUES), appended to
// the caller's buffer. What an application sends back is read by response_reader.hpp.
//
// Pure protocol like http/: bytes in, bytes out; no I/O, no syscalls, no logging. It must
// not know who sends the bytes (a spawned php-cgi or php-fpm behind a socket).
//
// Every record is padded to a multiple of 8 bytes, as the specification recommends and
// nginx does, and a stream is cut into records of at most 65528 bytes of content: php-cgi
// and php-fpm refuse a record whose content and padding together exceed 65535
// (FCGI_MAX_LENGTH in php-src main/fastcgi.c), and 65528 is the largest multiple of 8 below.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace forkd::fastcgi {

inline constexpr std::uint8_t kVersion = 1;
inline constexpr std::size_t kHeaderSize = 8;
inline constexpr std::size_t kMaxContentLength = 65535;
// The content of a full record of a stream (PARAMS, STDIN): needs no padding.
inline constexpr std::size_t kMaxStreamContent = 65528;
// The largest record: header, content and padding.
inline constexpr std::size_t kMaxRecordSize = kHeaderSize + kMaxContentLength + 255;
// Management records (GET_VALUES and its result) carry request id 0.
inline constexpr std::uint16_t kManagementRequestId = 0;

// Any byte fits in the enums below (fixed underlying type), so a header read from an
// application holds whatever it sent; the reader decides what is valid.
enum class RecordType : std::uint8_t {
    begin_request = 1,
    abort_request = 2,
    end_request = 3,
    params = 4,
    stdin_stream = 5,  // FCGI_STDIN (stdin is a macro of <cstdio>)
    stdout_stream = 6,
    stderr_stream = 7,
    data = 8,
    get_values = 9,
    get_values_result = 10,
    unknown_type = 11,
};

enum class Role : std::uint16_t { responder = 1, authorizer = 2, filter = 3 };

// BEGIN_REQUEST's flags: the application keeps the connection open after the request.
inline constexpr std::uint8_t kKeepConn = 1;

enum class ProtocolStatus : std::uint8_t {
    request_complete = 0,
    cant_mpx_conn = 1,
    overloaded = 2,
    unknown_role = 3,
};

// The variables GET_VALUES may ask for.
inline constexpr std::string_view kMaxConns = "FCGI_MAX_CONNS";
inline constexpr std::string_view kMaxReqs = "FCGI_MAX_REQS";
inline constexpr std::string_view kMpxsConns = "FCGI_MPXS_CONNS";

struct RecordHeader {
    std::uint8_t version = kVersion;
    RecordType type = RecordType::unknown_type;
    std::uint16_t request_id = 0;
    std::uint16_t content_length = 0;
    std::uint8_t padding_length = 0;

    bool operator==(const RecordHeader&) const = default;
};

struct NameValue {
    std::string name;
    std::string value;

    bool operator==(const NameValue&) const = default;
};

// The header at the front of `bytes`, or nullopt when fewer than 8 bytes are there. Checks
// nothing: any version and type are returned as they are.
std::optional<RecordHeader> read_header(std::string_view bytes);

// One record: the header, `content`, and zero bytes up to a multiple of 8. Throws
// std::length_error when `content` is over kMaxContentLength (a caller's mistake).
void append_record(std::string& out, RecordType type, std::uint16_t request_id,
                   std::string_view content);

// One name-value pair: each length in 1 byte when under 128, else in 4 (high bit set).
void append_name_value(std::string& out, std::string_view name, std::string_view value);
// The pairs of a record's content, or nullopt when a length runs past its end.
std::optional<std::vector<NameValue>> read_name_values(std::string_view content);

// BEGIN_REQUEST: the role and, with `keep_conn`, FCGI_KEEP_CONN.
void append_begin_request(std::string& out, std::uint16_t request_id, bool keep_conn,
                          Role role = Role::responder);

// The whole PARAMS stream: the pairs, then the empty PARAMS record that ends it. A record
// holds whole pairs only (php reads each PARAMS record on its own and refuses a pair cut
// between two); a single pair longer than a record is the exception and spans records, as
// the specification allows.
void append_params(std::string& out, std::uint16_t request_id, std::span<const NameValue> params);

// `data` as STDIN records (none for empty `data`): a request body may be sent in any number
// of pieces. The stream ends with append_stdin_end.
void append_stdin(std::string& out, std::uint16_t request_id, std::string_view data);
// The empty STDIN record: the end of the request body (also when there is none).
void append_stdin_end(std::string& out, std::uint16_t request_id);

// ABORT_REQUEST: the client went away; the application answers with END_REQUEST.
void append_abort_request(std::string& out, std::uint16_t request_id);

// GET_VALUES (request id 0) asking for `names` (kMaxConns, ...). A management record is one
// record: throws std::length_error when the names do not fit in one.
void append_get_values(std::string& out, std::span<const std::string_view> names);

}  // namespace forkd::fastcgi
