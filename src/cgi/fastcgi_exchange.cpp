#include "cgi/fastcgi_exchange.hpp"

#include <poll.h>

#include <array>
#include <map>
#include <span>
#include <variant>

#include "base/log.hpp"
#include "fastcgi/record.hpp"
#include "os/connect.hpp"
#include "os/io.hpp"
#include "os/request_guard.hpp"

namespace forkd::cgi {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::uint16_t kRequestId = 1;  // one request per connection at a time
constexpr std::size_t kBodyPiece = 64 * 1024;

// The idle kept connection of each application, in this process.
std::map<std::string, Fd>& kept_connections() {
    static std::map<std::string, Fd> connections;
    return connections;
}

}  // namespace

std::string fastcgi_request_records(const std::vector<Variable>& environment, std::string_view body,
                                    bool keep_conn) {
    std::string records;
    fastcgi::append_begin_request(records, kRequestId, keep_conn);
    fastcgi::append_params(records, kRequestId, environment);
    if (!body.empty()) fastcgi::append_stdin(records, kRequestId, body);
    fastcgi::append_stdin_end(records, kRequestId);
    return records;
}

FastcgiExchange::FastcgiExchange(std::string upstream, bool keep_conn, RunLimits limits,
                                 std::string label, SpawnedApplication* spawned)
    : upstream_(std::move(upstream)),
      keep_conn_(spawned != nullptr ? spawned->keeps_connection() : keep_conn),
      limits_(limits),
      label_(std::move(label)),
      spawned_(spawned),
      started_(Clock::now()),
      last_output_(started_),
      errors_(label_, limits_.stderr_limit) {}

FastcgiExchange::~FastcgiExchange() {
    end(!reader_.finished());
}

bool FastcgiExchange::send(const std::vector<Variable>& environment, const RequestBody& body) {
    std::string head;
    fastcgi::append_begin_request(head, kRequestId, keep_conn_);
    fastcgi::append_params(head, kRequestId, environment);
    if (spawned_ != nullptr) return send_to_spawned(head, body);

    auto kept = kept_connections().find(upstream_);
    if (kept != kept_connections().end()) {
        Fd connection = std::move(kept->second);
        kept_connections().erase(kept);
        // A kept connection the application closed meanwhile fails here: a fresh one follows.
        if (!os::hung_up(connection.get()) && send_on(connection, head, body)) {
            connection_ = std::move(connection);
            return true;
        }
    }
    int error = 0;
    Fd connection = os::connect_stream(upstream_, started_ + limits_.idle_timeout, error);
    if (!connection) {
        log::error("cgi {}: cannot connect to the FastCGI application at {}: {}; answered 502",
                   label_, upstream_, std::strerror(error));
        return false;
    }
    if (!send_on(connection, head, body)) {
        log::error("cgi {}: the FastCGI application at {} did not take the request; answered 502",
                   label_, upstream_);
        return false;
    }
    connection_ = std::move(connection);
    return true;
}

bool FastcgiExchange::send_to_spawned(const std::string& head, const RequestBody& body) {
    connection_ = spawned_->take_connection();
    if (!connection_) {
        log::error("cgi {}: {} is not running; answered 502", label_, spawned_->program());
        ended_ = true;
        return false;
    }
    if (send_on(connection_, head, body)) return true;
    log::error("cgi {}: {} (pid {}) did not take the request; answered 502", label_,
               spawned_->program(), spawned_->pid());
    end(true);
    return false;
}

bool FastcgiExchange::send_on(Fd& connection, const std::string& head, const RequestBody& body) {
    auto deadline = [&] { return Clock::now() + limits_.idle_timeout; };
    // BEGIN_REQUEST, PARAMS and STDIN go out together, in writes of about kBodyPiece: a
    // request without a body (or with a small one) is one write, not one per record.
    std::string records = head;
    std::array<char, kBodyPiece> piece;
    for (std::uint64_t offset = 0; offset < body.size();) {
        std::size_t got = body.read_at(offset, piece);
        if (got == 0) return false;
        fastcgi::append_stdin(records, kRequestId, std::string_view(piece.data(), got));
        offset += got;
        if (records.size() >= kBodyPiece) {
            if (os::write_all(connection.get(), records, deadline()) != os::WriteResult::done)
                return false;
            records.clear();
        }
    }
    fastcgi::append_stdin_end(records, kRequestId);
    return os::write_all(connection.get(), records, deadline()) == os::WriteResult::done;
}

GatewayOutput::Read FastcgiExchange::read_output(std::string& out) {
    for (;;) {
        if (reader_.finished()) return Read::end;
        fastcgi::ReadStep step = reader_.feed(received_);
        bool wrote = false;
        for (const fastcgi::ResponseEvent& event : step.events) {
            if (auto* data = std::get_if<fastcgi::StdoutData>(&event)) {
                out.append(data->bytes);
                wrote = true;
            } else if (auto* errors = std::get_if<fastcgi::StderrData>(&event)) {
                errors_.append(errors->bytes);
            }
        }
        received_.erase(0, step.consumed);
        if (reader_.error() && !reader_.finished()) {
            log::error("cgi {}: the FastCGI application at {} broke the protocol: {}", label_,
                       upstream_, *reader_.error());
            return Read::broken;
        }
        if (wrote) {
            last_output_ = Clock::now();
            return Read::data;
        }
        if (reader_.finished()) return Read::end;
        std::array<char, kBodyPiece> buffer;
        // Right after the request was sent nothing can be there yet: wait before the first
        // read (a read first would only find the socket empty).
        os::AttemptResult got{os::Attempt::would_block};
        if (answering_) got = os::try_read(connection_.get(), buffer);
        if (got.result == os::Attempt::done) {
            received_.append(buffer.data(), got.bytes);
            continue;
        }
        if (got.result == os::Attempt::would_block) {
            // Nothing yet: wait for it, unless the client leaves first (then ABORT_REQUEST).
            auto deadline =
                std::min(started_ + limits_.timeout, last_output_ + limits_.idle_timeout);
            bool client_gone = false;
            os::Wait waited = os::wait_for_input_or_hang_up(
                connection_.get(), os::guarded_client_fd(), deadline, client_gone);
            if (client_gone) return Read::client_gone;
            if (waited == os::Wait::timeout) return Read::timeout;
            answering_ = answering_ || waited == os::Wait::ready;
            continue;
        }
        log::error("cgi {}: the FastCGI application at {} closed the connection mid-response",
                   label_, upstream_);
        return Read::broken;
    }
}

void FastcgiExchange::finish_unread(Clock::time_point deadline) {
    std::array<char, kBodyPiece> buffer;
    while (!reader_.finished() && !reader_.error()) {
        fastcgi::ReadStep step = reader_.feed(received_);
        for (const fastcgi::ResponseEvent& event : step.events) {
            if (auto* errors = std::get_if<fastcgi::StderrData>(&event))
                errors_.append(errors->bytes);  // the output itself has nobody to go to
        }
        received_.erase(0, step.consumed);
        if (reader_.finished() || reader_.error()) break;
        os::ReadOutcome got = os::read_some(connection_.get(), buffer, deadline);
        if (got.result == os::ReadResult::interrupted) continue;
        if (got.result != os::ReadResult::data) break;
        received_.append(buffer.data(), got.bytes);
    }
}

bool FastcgiExchange::complete() const {
    return reader_.finished() && !reader_.error() && received_.empty();
}

void FastcgiExchange::end(bool abandon) {
    if (ended_) return;
    ended_ = true;
    if (!connection_) {
        errors_.finish();
        return;
    }
    if (spawned_ != nullptr) {
        // Its one connection: given back after a whole, clean answer, also when the client
        // left before all of it was sent (the application is done with the request: killing
        // it would cost a new start and its warm opcache). An answer still coming gets a
        // moment to end (a client that left as a fast page was being made); one that does
        // not end in it is abandoned: the application is killed.
        if (!reader_.finished()) finish_unread(Clock::now() + kAbandonGrace);
        errors_.finish();
        if (reader_.finished() && !reader_.error() && received_.empty())
            spawned_->give_back(std::move(connection_));
        else
            spawned_->abandon();
        connection_.reset();
        return;
    }
    errors_.finish();
    if (abandon && !reader_.finished()) {
        std::string abort;
        fastcgi::append_abort_request(abort, kRequestId);
        os::write_all(connection_.get(), abort, Clock::now() + std::chrono::milliseconds(100));
        return;  // closed with the exchange: its state is unknown
    }
    if (keep_conn_ && reader_.finished() && !reader_.error() && received_.empty())
        kept_connections()[upstream_] = std::move(connection_);
}

}  // namespace forkd::cgi
