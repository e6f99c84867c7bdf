// Reads what a FastCGI application sends back for one request: STDOUT and STDERR data,
// END_REQUEST, and GET_VALUES_RESULT (a management record, request id 0).
//
// A pure function over the caller's bytes, as http::RequestParser is: the caller keeps a
// buffer of what arrived, offers it to feed(), erases what was consumed, and appends what
// arrives next. STDOUT and STDERR content is handed on as it arrives, even from a record not
// yet complete (a response streams to the client; nothing is buffered whole); END_REQUEST and
// GET_VALUES_RESULT are read once their whole content is there, so the caller's buffer must
// hold up to kMaxRecordSize bytes. However the network cuts the bytes, the events are the
// same, but for where data events split.
//
// An application that breaks the protocol (a version other than 1, a record for another
// request, a record type a web server never receives, an END_REQUEST of the wrong size, data
// after its stream ended or anything after END_REQUEST) stops the reading with a reason:
// the caller closes that connection and answers 502. Nothing it sends throws or is trusted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "fastcgi/record.hpp"

namespace forkd::fastcgi {

// A piece of the application's output (a view into the bytes given to feed(): valid until
// the caller changes them). Never empty.
struct StdoutData {
    std::string_view bytes;
};
// A piece of what the application wrote to FCGI_STDERR (for the error log).
struct StderrData {
    std::string_view bytes;
};
// The request is over: the application's exit status and whether it served the request.
struct EndRequest {
    std::uint32_t app_status = 0;
    ProtocolStatus protocol_status = ProtocolStatus::request_complete;
};
// The answer to GET_VALUES: the variables the application knows, with their values.
struct ValuesResult {
    std::vector<NameValue> values;
};

using ResponseEvent = std::variant<StdoutData, StderrData, EndRequest, ValuesResult>;

struct ReadStep {
    std::size_t consumed = 0;  // bytes at the front of those offered that the caller erases
    std::vector<ResponseEvent> events;
};

class ResponseReader {
  public:
    // Reads the records of `request_id` (the id of the BEGIN_REQUEST sent) and management
    // records. With request id 0 it reads management records only.
    explicit ResponseReader(std::uint16_t request_id) : request_id_(request_id) {}

    // Reads as much of `bytes` (what arrived and was not consumed yet) as it can. Stops at
    // the first error: the events before it are returned, error() says why, and every later
    // call consumes nothing.
    ReadStep feed(std::string_view bytes);

    // True once END_REQUEST and its padding have been read: the request is over.
    bool finished() const { return finished_ && padding_left_ == 0; }
    // Why the reading stopped. Both may be set: bytes after END_REQUEST leave the answer
    // whole, but the connection is not to be used again.
    const std::optional<std::string>& error() const { return error_; }

  private:
    enum class Stream { none, out, err };

    // Reads one header at the front of `bytes` and what follows it, or nothing when the
    // bytes end first. Returns the bytes it took.
    std::size_t read_record(std::string_view bytes, std::vector<ResponseEvent>& events);
    std::optional<std::string> why_refused(const RecordHeader& header) const;
    std::size_t fail(std::string reason);

    std::uint16_t request_id_;
    std::size_t content_left_ = 0;  // of the STDOUT or STDERR record being read
    std::size_t padding_left_ = 0;  // of the record being read
    Stream stream_ = Stream::none;  // whose content content_left_ counts
    bool stdout_ended_ = false;
    bool stderr_ended_ = false;
    bool finished_ = false;
    std::optional<std::string> error_;
};

}  // namespace forkd::fastcgi
