#include "ipc/hand_off.hpp"

#include <algorithm>
#include <cstring>

#include "api/request_renewal.hpp"

namespace forkd::ipc {
namespace {

// Counts the bytes a message takes, so that its buffer is sized once before it is written.
class Sizer {
  public:
    template <class T>
    void number(T) {
        size += sizeof(T);
    }
    void text(std::string_view value) { size += sizeof(uint32_t) + value.size(); }
    std::size_t size = 0;
};

// Writes fields as they are in memory, strings with a 32-bit length before them, into a
// buffer a Sizer measured.
class Writer {
  public:
    explicit Writer(char* at) : at_(at) {}
    template <class T>
    void number(T value) {
        std::memcpy(at_, &value, sizeof value);
        at_ += sizeof value;
    }
    void text(std::string_view value) {
        number(static_cast<uint32_t>(value.size()));
        if (value.empty()) return;  // an empty view's data() may be null
        std::memcpy(at_, value.data(), value.size());
        at_ += value.size();
    }

  private:
    char* at_;
};

// `write_fields(out)` names a message's fields in order to `out`, a Sizer or a Writer: once
// to size `message`, once to fill it.
template <class WriteFields>
void write_message(std::string& message, const WriteFields& write_fields) {
    Sizer sizer;
    write_fields(sizer);
    message.resize(sizer.size);
    Writer writer(message.data());
    write_fields(writer);
}

class Reader {
  public:
    explicit Reader(std::string_view in) : in_(in) {}
    template <class T>
    bool number(T& value) {
        if (in_.size() < sizeof value) return false;
        std::memcpy(&value, in_.data(), sizeof value);
        in_.remove_prefix(sizeof value);
        return true;
    }
    bool text(std::string& value) {
        std::string_view view;
        if (!text(view)) return false;
        value.assign(view);
        return true;
    }
    bool text(std::string_view& value) {
        uint32_t size = 0;
        if (!number(size) || in_.size() < size) return false;
        value = in_.substr(0, size);
        in_.remove_prefix(size);
        return true;
    }
    bool done() const { return in_.empty(); }

  private:
    std::string_view in_;
};

}  // namespace

void encode(const HandOffFields& fields, const Request& request, std::string& message) {
    write_message(message, [&](auto& out) {
        out.number(fields.worker_pid);
        out.number(fields.io_pid);
        out.number(fields.sequence);
        out.number(fields.connection);
        out.number(static_cast<uint8_t>(fields.keep_alive_allowed));
        out.number(static_cast<uint8_t>(fields.link_attached));
        out.number(static_cast<uint8_t>(fields.body_in_file));
        out.number(static_cast<int32_t>(request.version));
        out.text(request.method);
        out.text(request.target);
        out.text(request.path);
        out.text(request.query);
        out.text(request.remote_addr);
        out.text(request.request_id);
        out.text(request.peer_addr);
        out.text(request.scheme);
        out.number(static_cast<uint32_t>(request.headers.size()));
        for (const auto& [name, value] : request.headers) {
            out.text(name);
            out.text(value);
        }
        out.text(fields.body_in_file ? std::string_view() : request.body.in_memory());
    });
}

std::string encode(const HandOff& hand_off) {
    std::string message;
    encode(hand_off, hand_off.request, message);
    return message;
}

std::optional<HandOff> decode_hand_off(std::string_view bytes) {
    HandOff hand_off;
    if (!decode_hand_off(bytes, hand_off)) return std::nullopt;
    return hand_off;
}

bool decode_hand_off(std::string_view bytes, HandOff& hand_off) {
    Reader in(bytes);
    static_cast<HandOffFields&>(hand_off) = HandOffFields{};
    Request& request = hand_off.request;
    api::renew(request);
    uint8_t keep_alive = 0;
    uint8_t link = 0;
    uint8_t in_file = 0;
    int32_t version = 0;
    uint32_t header_count = 0;
    bool ok = in.number(hand_off.worker_pid) && in.number(hand_off.io_pid) &&
              in.number(hand_off.sequence) && in.number(hand_off.connection) &&
              in.number(keep_alive) && in.number(link) && in.number(in_file) &&
              in.number(version) && in.text(request.method) && in.text(request.target) &&
              in.text(request.path) && in.text(request.query) && in.text(request.remote_addr) &&
              in.text(request.request_id) && in.text(request.peer_addr) &&
              in.text(request.scheme) && in.number(header_count);
    // Each field takes at least its two lengths: a count no message could hold is refused
    // before anything is reserved for it.
    ok = ok && header_count <= bytes.size() / (2 * sizeof(uint32_t));
    if (ok) request.headers.reserve(header_count);
    for (uint32_t i = 0; ok && i < header_count; ++i) {
        std::string_view name;
        std::string_view value;
        ok = in.text(name) && in.text(value);
        if (ok) request.headers.add_copy(name, value);
    }
    std::string_view body;
    ok = ok && in.text(body) && in.done();
    if (!ok) return false;
    if (!body.empty()) request.body = std::string(body);
    hand_off.keep_alive_allowed = keep_alive != 0;
    hand_off.link_attached = link != 0;
    hand_off.body_in_file = in_file != 0;
    request.version = version;
    return true;
}

void encode(const Completion& completion, std::string& message) {
    write_message(message, [&](auto& out) {
        out.number(completion.sequence);
        out.number(static_cast<int32_t>(completion.status));
        out.number(completion.body_bytes);
        out.number(static_cast<uint8_t>(completion.complete));
        out.number(static_cast<uint8_t>(completion.keep_alive));
    });
}

std::string encode(const Completion& completion) {
    std::string message;
    encode(completion, message);
    return message;
}

std::optional<Completion> decode_completion(std::string_view bytes) {
    Reader in(bytes);
    Completion completion;
    int32_t status = 0;
    uint8_t complete = 0;
    uint8_t keep_alive = 0;
    if (!(in.number(completion.sequence) && in.number(status) && in.number(completion.body_bytes) &&
          in.number(complete) && in.number(keep_alive) && in.done())) {
        return std::nullopt;
    }
    completion.status = status;
    completion.complete = complete != 0;
    completion.keep_alive = keep_alive != 0;
    return completion;
}

std::string encode(const IdleConnection& idle) {
    std::string message;
    write_message(message, [&](auto& out) {
        out.number(idle.served);
        out.text(std::string_view(idle.peer).substr(0, kMaxIdleConnectionMessage - 64));
    });
    return message;
}

std::optional<IdleConnection> decode_idle_connection(std::string_view bytes) {
    Reader in(bytes);
    IdleConnection idle;
    if (!(in.number(idle.served) && in.text(idle.peer) && in.done())) return std::nullopt;
    return idle;
}

std::size_t max_body_in_message(std::size_t body_buffer_size) {
    return std::min(body_buffer_size, kMaxBodyInMessage);
}

std::size_t max_hand_off_size(std::size_t max_request_line, std::size_t max_header_size,
                              std::size_t body_buffer_size) {
    // Each field repeats once at most in decoded form (target, path, query) plus lengths.
    return 3 * max_request_line + 2 * max_header_size + max_body_in_message(body_buffer_size) +
           4096;
}

}  // namespace forkd::ipc
