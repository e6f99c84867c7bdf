#include "fastcgi/record.hpp"

#include <algorithm>
#include <stdexcept>

namespace forkd::fastcgi {
namespace {

std::uint8_t byte_at(std::string_view bytes, std::size_t i) {
    return static_cast<std::uint8_t>(bytes[i]);
}

void append_byte(std::string& out, unsigned value) {
    out.push_back(static_cast<char>(value & 0xffU));
}

void append_u16(std::string& out, std::uint16_t value) {
    append_byte(out, value >> 8U);
    append_byte(out, value);
}

// 1 byte below 128; else 4 bytes, big-endian, the high bit set (31 bits of length).
void append_length(std::string& out, std::size_t length) {
    if (length < 128) {
        append_byte(out, static_cast<unsigned>(length));
        return;
    }
    if (length > 0x7fffffffU) throw std::length_error("FastCGI name or value over 2^31 bytes");
    const auto value = static_cast<std::uint32_t>(length);
    append_byte(out, (value >> 24U) | 0x80U);
    append_byte(out, value >> 16U);
    append_byte(out, value >> 8U);
    append_byte(out, value);
}

// Reads a length at `position`, moving past it; nullopt when the bytes end first.
std::optional<std::size_t> read_length(std::string_view content, std::size_t& position) {
    if (position >= content.size()) return std::nullopt;
    const std::uint8_t first = byte_at(content, position);
    if (first < 128) {
        ++position;
        return first;
    }
    if (content.size() - position < 4) return std::nullopt;
    const std::uint32_t length = (std::uint32_t{first & 0x7fU} << 24U) |
                                 (std::uint32_t{byte_at(content, position + 1)} << 16U) |
                                 (std::uint32_t{byte_at(content, position + 2)} << 8U) |
                                 std::uint32_t{byte_at(content, position + 3)};
    position += 4;
    return length;
}

std::size_t encoded_size(const NameValue& pair) {
    const auto length_size = [](std::size_t n) -> std::size_t { return n < 128 ? 1 : 4; };
    return length_size(pair.name.size()) + length_size(pair.value.size()) + pair.name.size() +
           pair.value.size();
}

// `stream` as records of `type`, kMaxStreamContent bytes each but the last.
void append_stream_records(std::string& out, RecordType type, std::uint16_t request_id,
                           std::string_view stream) {
    while (!stream.empty()) {
        const std::string_view piece = stream.substr(0, kMaxStreamContent);
        append_record(out, type, request_id, piece);
        stream.remove_prefix(piece.size());
    }
}

}  // namespace

std::optional<RecordHeader> read_header(std::string_view bytes) {
    if (bytes.size() < kHeaderSize) return std::nullopt;
    RecordHeader header;
    header.version = byte_at(bytes, 0);
    header.type = static_cast<RecordType>(byte_at(bytes, 1));
    header.request_id = static_cast<std::uint16_t>((byte_at(bytes, 2) << 8U) | byte_at(bytes, 3));
    header.content_length =
        static_cast<std::uint16_t>((byte_at(bytes, 4) << 8U) | byte_at(bytes, 5));
    header.padding_length = byte_at(bytes, 6);
    return header;
}

void append_record(std::string& out, RecordType type, std::uint16_t request_id,
                   std::string_view content) {
    if (content.size() > kMaxContentLength)
        throw std::length_error("FastCGI record content over 65535 bytes");
    const std::size_t padding = (8 - content.size() % 8) % 8;
    append_byte(out, kVersion);
    append_byte(out, static_cast<unsigned>(type));
    append_u16(out, request_id);
    append_u16(out, static_cast<std::uint16_t>(content.size()));
    append_byte(out, static_cast<unsigned>(padding));
    append_byte(out, 0);  // reserved
    out.append(content);
    out.append(padding, '\0');
}

void append_name_value(std::string& out, std::string_view name, std::string_view value) {
    append_length(out, name.size());
    append_length(out, value.size());
    out.append(name);
    out.append(value);
}

std::optional<std::vector<NameValue>> read_name_values(std::string_view content) {
    std::vector<NameValue> pairs;
    std::size_t position = 0;
    while (position < content.size()) {
        const auto name_length = read_length(content, position);
        if (!name_length) return std::nullopt;
        const auto value_length = read_length(content, position);
        if (!value_length) return std::nullopt;
        // Both lengths are under 2^31: their sum cannot overflow a size_t.
        if (content.size() - position < *name_length + *value_length) return std::nullopt;
        NameValue pair;
        pair.name = content.substr(position, *name_length);
        pair.value = content.substr(position + *name_length, *value_length);
        position += *name_length + *value_length;
        pairs.push_back(std::move(pair));
    }
    return pairs;
}

void append_begin_request(std::string& out, std::uint16_t request_id, bool keep_conn, Role role) {
    std::string body;
    append_u16(body, static_cast<std::uint16_t>(role));
    append_byte(body, keep_conn ? kKeepConn : 0);
    body.append(5, '\0');  // reserved
    append_record(out, RecordType::begin_request, request_id, body);
}

void append_params(std::string& out, std::uint16_t request_id, std::span<const NameValue> params) {
    std::size_t total = 0;
    for (const NameValue& pair : params)
        total += encoded_size(pair);
    // Room for the common case, every pair in one record (and the empty one), up front.
    std::string content;
    content.reserve(std::min(total, kMaxStreamContent));
    out.reserve(out.size() + total + 3 * kHeaderSize);
    for (const NameValue& pair : params) {
        if (!content.empty() && content.size() + encoded_size(pair) > kMaxStreamContent) {
            append_record(out, RecordType::params, request_id, content);
            content.clear();
        }
        append_name_value(content, pair.name, pair.value);
        if (content.size() > kMaxStreamContent) {
            // One pair longer than a record: it alone spans records.
            append_stream_records(out, RecordType::params, request_id, content);
            content.clear();
        }
    }
    if (!content.empty()) append_record(out, RecordType::params, request_id, content);
    append_record(out, RecordType::params, request_id, {});
}

void append_stdin(std::string& out, std::uint16_t request_id, std::string_view data) {
    append_stream_records(out, RecordType::stdin_stream, request_id, data);
}

void append_stdin_end(std::string& out, std::uint16_t request_id) {
    append_record(out, RecordType::stdin_stream, request_id, {});
}

void append_abort_request(std::string& out, std::uint16_t request_id) {
    append_record(out, RecordType::abort_request, request_id, {});
}

void append_get_values(std::string& out, std::span<const std::string_view> names) {
    std::string content;
    for (const std::string_view name : names)
        append_name_value(content, name, {});
    if (content.size() > kMaxStreamContent)
        throw std::length_error("FastCGI GET_VALUES names do not fit in one record");
    append_record(out, RecordType::get_values, kManagementRequestId, content);
}

}  // namespace forkd::fastcgi
