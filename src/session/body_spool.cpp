#include "session/body_spool.hpp"

#include <cerrno>
#include <cstring>
#include <optional>

#include "base/log.hpp"
#include "os/io.hpp"
#include "os/temp_file.hpp"

namespace forkd::session {

bool BodySpool::absorb(http::RequestParser& parser, Fd& file) const {
    if (!file && parser.held_body_size() <= memory_limit_) return true;
    if (parser.held_body_size() == 0) return true;
    return append(file, parser.take_held_body());
}

bool BodySpool::move_to_file(Request& request, Fd& file, std::size_t memory_at_most) const {
    if (!file && request.body.size() <= memory_at_most) return true;
    return append(file, request.body.take_bytes());
}

bool BodySpool::settle_body(Request& request, Fd& file) const {
    if (!move_to_file(request, file, memory_limit_)) return false;
    if (!file) return true;
    std::optional<uint64_t> size = os::file_size(file.get());
    if (!size) {
        log::error("cannot measure a request body's temp file: {}", std::strerror(errno));
        return false;
    }
    request.body = RequestBody::from_file(file.release(), *size);
    return true;
}

bool BodySpool::bring_back(Request& request, Fd& file) {
    if (!file) return true;
    std::string whole;
    bool read = os::read_whole_file(file.get(), whole);
    file.reset();
    if (!read) {
        log::error("cannot read a request body back from its temp file: {}", std::strerror(errno));
        return false;
    }
    whole += request.body.in_memory();
    request.body = std::move(whole);
    return true;
}

std::string BodySpool::check() const {
    try {
        os::open_temp_file(directory_);
        return "";
    } catch (const std::exception& e) {
        return e.what();
    }
}

bool BodySpool::append(Fd& file, std::string_view bytes) const {
    try {
        if (!file) file = os::open_temp_file(directory_);
    } catch (const std::exception& e) {
        log::error("request body: {}", e.what());
        return false;
    }
    if (os::append_to_file(file.get(), bytes)) return true;
    log::error("cannot write a request body to its temp file in {}: {}",
               os::temp_directory(directory_), std::strerror(errno));
    return false;
}

}  // namespace forkd::session
