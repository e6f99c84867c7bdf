#include "fastcgi/response_reader.hpp"

#include <algorithm>

namespace forkd::fastcgi {
namespace {

constexpr std::size_t kEndRequestSize = 8;  // FCGI_EndRequestBody

std::string number(unsigned value) {
    return std::to_string(value);
}

EndRequest read_end_request(std::string_view body) {
    const auto at = [&](std::size_t i) {
        return static_cast<std::uint32_t>(static_cast<std::uint8_t>(body[i]));
    };
    EndRequest end;
    end.app_status = (at(0) << 24U) | (at(1) << 16U) | (at(2) << 8U) | at(3);
    end.protocol_status = static_cast<ProtocolStatus>(at(4));
    return end;
}

}  // namespace

ReadStep ResponseReader::feed(std::string_view bytes) {
    ReadStep step;
    std::size_t& position = step.consumed;
    while (!error_) {
        const std::string_view rest = bytes.substr(position);
        if (content_left_ > 0) {
            // The content of a STDOUT or STDERR record, as much of it as is there.
            const std::string_view piece = rest.substr(0, content_left_);
            if (piece.empty()) break;
            if (stream_ == Stream::out)
                step.events.emplace_back(StdoutData{piece});
            else
                step.events.emplace_back(StderrData{piece});
            content_left_ -= piece.size();
            position += piece.size();
        } else if (padding_left_ > 0) {
            const std::size_t skipped = std::min(padding_left_, rest.size());
            if (skipped == 0) break;
            padding_left_ -= skipped;
            position += skipped;
        } else if (rest.empty()) {
            break;
        } else if (finished_) {
            fail("bytes after END_REQUEST");
        } else {
            const std::size_t taken = read_record(rest, step.events);
            if (taken == 0) break;
            position += taken;
        }
    }
    return step;
}

std::size_t ResponseReader::read_record(std::string_view bytes,
                                        std::vector<ResponseEvent>& events) {
    const std::optional<RecordHeader> header = read_header(bytes);
    if (!header) return 0;
    if (auto reason = why_refused(*header)) return fail(std::move(*reason));
    const std::size_t length = header->content_length;
    switch (header->type) {
        case RecordType::stdout_stream:
        case RecordType::stderr_stream: {
            // The content follows, piece by piece, in feed(); an empty record ends the stream.
            const bool out = header->type == RecordType::stdout_stream;
            bool& ended = out ? stdout_ended_ : stderr_ended_;
            if (length == 0) ended = true;
            stream_ = out ? Stream::out : Stream::err;
            content_left_ = length;
            break;
        }
        case RecordType::end_request: {
            if (bytes.size() - kHeaderSize < length) return 0;  // wait for the whole body
            const EndRequest end = read_end_request(bytes.substr(kHeaderSize, length));
            if (end.protocol_status > ProtocolStatus::unknown_role)
                return fail("END_REQUEST with unknown protocol status " +
                            number(static_cast<unsigned>(end.protocol_status)));
            events.emplace_back(end);
            finished_ = true;
            break;
        }
        default: {  // get_values_result: why_refused() let no other type through
            if (bytes.size() - kHeaderSize < length) return 0;
            auto values = read_name_values(bytes.substr(kHeaderSize, length));
            if (!values) return fail("GET_VALUES_RESULT with a malformed name-value pair");
            events.emplace_back(ValuesResult{std::move(*values)});
            break;
        }
    }
    padding_left_ = header->padding_length;
    // STDOUT and STDERR content is taken by feed(); the other records' content is read.
    const bool streamed = content_left_ > 0;
    return kHeaderSize + (streamed ? 0 : length);
}

// The header rules, checked before any content is read.
std::optional<std::string> ResponseReader::why_refused(const RecordHeader& header) const {
    if (header.version != kVersion) return "FastCGI version " + number(header.version) + ", not 1";
    const unsigned type = static_cast<unsigned>(header.type);
    switch (header.type) {
        case RecordType::stdout_stream:
        case RecordType::stderr_stream:
        case RecordType::end_request:
            if (header.request_id != request_id_ || header.request_id == kManagementRequestId)
                return "a record of type " + number(type) + " for request id " +
                       number(header.request_id) + ", not " + number(request_id_);
            break;
        case RecordType::get_values_result:
            if (header.request_id != kManagementRequestId)
                return "GET_VALUES_RESULT for request id " + number(header.request_id);
            return std::nullopt;
        case RecordType::unknown_type:
            return "UNKNOWN_TYPE: the application refused a management record";
        default:
            return "a record of type " + number(type) + ", which an application never sends";
    }
    if (header.type == RecordType::end_request && header.content_length != kEndRequestSize)
        return "END_REQUEST with " + number(header.content_length) + " bytes of content, not 8";
    const bool ended = header.type == RecordType::stdout_stream ? stdout_ended_ : stderr_ended_;
    if (header.type != RecordType::end_request && ended && header.content_length > 0)
        return "data after the end of its stream";
    return std::nullopt;
}

std::size_t ResponseReader::fail(std::string reason) {
    error_ = std::move(reason);
    return 0;
}

}  // namespace forkd::fastcgi
