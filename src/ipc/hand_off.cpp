#include "ipc/hand_off.hpp"

#include <algorithm>
#include <cstring>

namespace forkd::ipc {
namespace {

// Fields are written as they are in memory, strings with a 32-bit length before them.
class Writer {
  public:
    template <class T>
    void number(T value) {
        out_.append(reinterpret_cast<const char*>(&value), sizeof value);
    }
    void text(std::string_view value) {
        number(static_cast<uint32_t>(value.size()));
        out_.append(value);
    }
    std::string take() { return std::move(out_); }

  private:
    std::string out_;
};

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
        uint32_t size = 0;
        if (!number(size) || in_.size() < size) return false;
        value.assign(in_.data(), size);
        in_.remove_prefix(size);
        return true;
    }
    bool done() const { return in_.empty(); }

  private:
    std::string_view in_;
};

}  // namespace

std::string encode(const HandOff& hand_off) {
    Writer out;
    const Request& request = hand_off.request;
    out.number(hand_off.worker_pid);
    out.number(hand_off.io_pid);
    out.number(hand_off.sequence);
    out.number(hand_off.connection);
    out.number(static_cast<uint8_t>(hand_off.keep_alive_allowed));
    out.number(static_cast<uint8_t>(hand_off.link_attached));
    out.number(static_cast<uint8_t>(hand_off.body_in_file));
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
    out.text(hand_off.body_in_file ? std::string_view() : request.body.in_memory());
    return out.take();
}

std::optional<HandOff> decode_hand_off(std::string_view bytes) {
    Reader in(bytes);
    HandOff hand_off;
    Request& request = hand_off.request;
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
    for (uint32_t i = 0; ok && i < header_count; ++i) {
        std::string name;
        std::string value;
        ok = in.text(name) && in.text(value);
        if (ok) request.headers.add(std::move(name), std::move(value));
    }
    std::string body;
    ok = ok && in.text(body) && in.done();
    if (!ok) return std::nullopt;
    request.body = std::move(body);
    hand_off.keep_alive_allowed = keep_alive != 0;
    hand_off.link_attached = link != 0;
    hand_off.body_in_file = in_file != 0;
    request.version = version;
    return hand_off;
}

std::string encode(const Completion& completion) {
    Writer out;
    out.number(completion.sequence);
    out.number(static_cast<int32_t>(completion.status));
    out.number(completion.body_bytes);
    out.number(static_cast<uint8_t>(completion.complete));
    out.number(static_cast<uint8_t>(completion.keep_alive));
    return out.take();
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
    Writer out;
    out.number(idle.served);
    out.text(idle.peer.substr(0, kMaxIdleConnectionMessage - 64));
    return out.take();
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
