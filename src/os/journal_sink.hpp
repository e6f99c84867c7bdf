// The error log sent to systemd's journal (error_log = "journald") over the journal's native
// protocol: one datagram per line on its socket (/run/systemd/journal/socket), each a list
// of fields, "KEY=value\n" (or, for a value with a newline, "KEY\n", its length as 64-bit
// little endian, the value, "\n"). Fields: MESSAGE, PRIORITY (syslog's numbers),
// SYSLOG_IDENTIFIER=forkd, SYSLOG_PID, FORKD_ROLE ("master", "io 1", "app 2"); the journal
// adds the trusted ones (_PID, _SYSTEMD_UNIT, ...) itself.
//
// Written here rather than through libsystemd's sd_journal_send: forkd's program is linked
// statically and loads no libsystemd (os/systemd.hpp), and the protocol is a few lines. A
// test binds its own datagram socket at `journal_socket` and reads the fields.
//
// The socket is non-blocking: a journal that cannot keep up loses lines rather than
// stopping an io worker's loop. Lines past kMaxMessage bytes are cut there.
#pragma once

#include <spdlog/details/null_mutex.h>
#include <spdlog/sinks/base_sink.h>

#include <memory>
#include <string>

#include "base/fd.hpp"

namespace forkd::os {

class JournalSink final : public spdlog::sinks::base_sink<spdlog::details::null_mutex> {
  public:
    static constexpr std::size_t kMaxMessage = 32 * 1024;

    // Throws std::runtime_error naming `socket_path` when it is not a socket.
    explicit JournalSink(std::string socket_path);

  protected:
    void sink_it_(const spdlog::details::log_msg& message) override;
    void flush_() override {}

  private:
    std::string socket_path_;
    Fd socket_;
};

// The datagram for one line (for the tests): the fields above, in that order.
std::string journal_entry(int priority, std::string_view message, std::string_view role, long pid);
// syslog's priority for an spdlog level: err 3, warning 4, info 6, debug 7.
int journal_priority(spdlog::level::level_enum level);

}  // namespace forkd::os
