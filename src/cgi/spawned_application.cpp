#include "cgi/spawned_application.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <system_error>

#include "base/log.hpp"
#include "cgi/stderr_log.hpp"
#include "os/connect.hpp"
#include "os/io.hpp"
#include "os/process.hpp"
#include "os/request_guard.hpp"

namespace forkd::cgi {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::chrono::milliseconds kFirstBackoff{100};
constexpr std::chrono::milliseconds kLongestBackoff{30'000};
constexpr std::chrono::milliseconds kExitAfterClose{1000};
constexpr std::string_view kSpawnPrefix = "spawn:";

struct Registry {
    std::vector<std::unique_ptr<SpawnedApplication>> applications;
    void (*observer)(pid_t) = nullptr;
};
Registry* g_registry = nullptr;

void tell_observer(pid_t pid) {
    if (g_registry != nullptr && g_registry->observer != nullptr) g_registry->observer(pid);
}

}  // namespace

std::string spawned_program(const std::string& upstream) {
    if (!upstream.starts_with(kSpawnPrefix)) return "";
    return upstream.substr(kSpawnPrefix.size());
}

SpawnedApplication::SpawnedApplication(SpawnSpec spec, std::string socket_path,
                                       uint64_t (*requests_in_slot)())
    : spec_(std::move(spec)),
      socket_path_(std::move(socket_path)),
      requests_in_slot_(requests_in_slot) {}

uint64_t SpawnedApplication::served() const {
    if (!shared() || requests_in_slot_ == nullptr) return served_;
    return std::max(served_, requests_in_slot_() - slot_requests_at_start_);
}

SpawnedApplication::~SpawnedApplication() {
    stop();
}

bool SpawnedApplication::start() {
    if (running()) return true;
    return launch();
}

bool SpawnedApplication::launch() {
    if (Clock::now() < not_before_) return false;
    try {
        os::PrivateListener socket;
        if (!shared())
            socket = os::private_listener();
        else if (!listener_)
            listener_ = os::listen_unix(socket_path_);
        os::ProgramSpec program;
        program.path = spec_.program;
        program.arguments = {spec_.program};
        program.environment = spec_.environment;
        program.stdin_fd = shared() ? listener_.get() : socket.listener.get();
        program.discard_output = true;
        program.new_session = false;  // one scheduling group with the server (os/spawn.hpp)
        program.limits = spec_.limits;
        program_ = os::start_program(program);
        connection_ = std::move(socket.connection);
    } catch (const std::system_error& e) {
        log::error("fastcgi: cannot start {}: {}", spec_.program, e.what());
        not_before_ = Clock::now() + kLongestBackoff;
        return false;
    }
    // start_program named its group as the request's; a request (take_connection) names it
    // again for itself.
    os::set_child_group(0);
    served_ = 0;
    if (requests_in_slot_ != nullptr) slot_requests_at_start_ = requests_in_slot_();
    tell_observer(program_.pid);
    log::info("fastcgi: started {} (pid {})", spec_.program, program_.pid);
    return true;
}

bool SpawnedApplication::settle_if_gone(const os::ProgramEvents& now) {
    if (!running()) return false;
    bool exited = now.exited;
    // Counted here only in private mode: shared, it also answers other processes' requests,
    // and a connection made as it quits waits for its successor.
    bool leaving = !shared() && spec_.quits_after > 0 && served_ >= spec_.quits_after;
    if (!exited && !leaving && !now.client_gone) return false;
    // php-cgi closes its connection a moment before it exits, after its last answer: a
    // retirement, not a hang.
    if (!exited) exited = os::wait_for_exit(program_.exited.get(), Clock::now() + kExitAfterClose);
    if (!exited) {
        log::error("fastcgi: {} (pid {}) closed its connection; ending it", spec_.program,
                   program_.pid);
        os::signal_process_group(program_.pid, SIGKILL);
    }
    reaped(os::reap(program_.pid));
    return true;
}

void SpawnedApplication::reaped(int status) {
    drain_errors();
    bool planned = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    uint64_t served = this->served();
    if (planned) {
        failures_ = 0;
        // Shared, the count is not exact: the io workers count theirs as they end.
        log::info(
            "fastcgi: {} (pid {}) retired itself after {}{} requests; a new one takes its place",
            spec_.program, program_.pid, shared() ? "about " : "", served);
    } else if (served == 0) {
        ++failures_;
        auto delay = std::min(kFirstBackoff * (1 << std::min(failures_ - 1, 9)), kLongestBackoff);
        not_before_ = Clock::now() + delay;
        // Nobody waits on the backlog through a back-off: connections are refused.
        if (shared()) {
            listener_.reset();
            ::unlink(socket_path_.c_str());
        }
        log::error(
            "fastcgi: {} (pid {}) {} before answering a request; starting it again in "
            "{} ms ({} failures in a row)",
            spec_.program, program_.pid, os::describe_exit(status), delay.count(), failures_);
    } else {
        failures_ = 0;
        log::error("fastcgi: {} (pid {}) {} after {} requests; a new one takes its place",
                   spec_.program, program_.pid, os::describe_exit(status), served);
    }
    forget();
}

void SpawnedApplication::forget() {
    program_ = os::StartedProgram{};
    connection_.reset();
    os::set_child_group(0);
    tell_observer(0);
}

void SpawnedApplication::drain_errors() {
    if (!program_.errors.valid()) return;
    StderrLog errors(spec_.program + " (pid " + std::to_string(program_.pid) + ")",
                     spec_.stderr_limit);
    std::array<char, 16 * 1024> buffer;
    for (std::size_t total = 0; total < spec_.stderr_limit;) {
        os::AttemptResult got = os::try_read_pipe(program_.errors.get(), buffer);
        if (got.result == os::Attempt::closed) {
            program_.errors.reset();
            break;
        }
        if (got.result != os::Attempt::done || got.bytes == 0) break;
        errors.append(std::string_view(buffer.data(), got.bytes));
        total += got.bytes;
    }
    errors.finish();
}

Fd SpawnedApplication::take_connection() {
    // Has it exited, closed its end, written to stderr? One poll for the three, every request.
    os::ProgramEvents now;
    if (running()) {
        now = os::program_events_now(program_, shared() ? -1 : connection_.get());
        settle_if_gone(now);
    }
    if (!running() && !launch()) return Fd();
    if (now.errors) drain_errors();
    os::set_child_group(program_.pid);
    return shared() ? connect() : std::move(connection_);
}

Fd SpawnedApplication::connect() {
    int error = 0;
    // A unix socket's connect is done or refused at once: nothing to wait for.
    Fd connection = os::connect_stream("unix:" + socket_path_, Clock::now(), error);
    if (!connection)
        log::error("fastcgi: cannot connect to {} at {}: {}", spec_.program, socket_path_,
                   std::strerror(error));
    return connection;
}

void SpawnedApplication::tend() {
    if (running()) {
        os::ProgramEvents now = os::program_events_now(program_, -1);
        if (now.exited) {
            reaped(os::reap(program_.pid));
        } else if (now.errors) {
            drain_errors();
        }
    }
    if (!running()) launch();
}

void SpawnedApplication::give_back(Fd connection) {
    if (!shared()) connection_ = std::move(connection);
    ++served_;
    failures_ = 0;
    os::set_child_group(0);
}

void SpawnedApplication::abandon() {
    if (!running()) return;
    os::signal_process_group(program_.pid, SIGKILL);
    // One that crashed by itself says so; one killed here only for the request is no news.
    int status = os::reap(program_.pid);
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
        drain_errors();
        forget();
        return;
    }
    reaped(status);
}

void SpawnedApplication::stop() {
    if (shared() && listener_) {
        listener_.reset();
        ::unlink(socket_path_.c_str());
    }
    if (!running()) return;
    connection_.reset();
    os::signal_process_group(program_.pid, SIGTERM);
    if (!os::wait_for_exit(program_.exited.get(), Clock::now() + spec_.kill_grace)) {
        log::warn("fastcgi: {} (pid {}) still runs {} ms after TERM; killing it", spec_.program,
                  program_.pid, spec_.kill_grace.count());
    }
    os::signal_process_group(program_.pid, SIGKILL);
    os::reap(program_.pid);
    drain_errors();
    forget();
}

SpawnedApplications::SpawnedApplications(std::vector<SpawnSpec> specs, void (*observer)(pid_t),
                                         const std::string& socket_directory, std::size_t slot,
                                         uint64_t (*requests_in_slot)()) {
    g_registry = new Registry;
    g_registry->observer = observer;
    for (SpawnSpec& spec : specs) {
        std::size_t index = g_registry->applications.size();
        std::string path =
            socket_directory.empty() ? "" : application_socket(socket_directory, slot, index);
        g_registry->applications.push_back(std::make_unique<SpawnedApplication>(
            std::move(spec), std::move(path), requests_in_slot));
    }
}

SpawnedApplications::~SpawnedApplications() {
    Registry* registry = g_registry;
    g_registry = nullptr;  // so that nothing is published from here on
    delete registry;       // each application stops on its way out
}

void SpawnedApplications::start_all() {
    for (auto& application : g_registry->applications)
        application->start();
}

std::vector<int> SpawnedApplications::exit_fds() const {
    std::vector<int> fds;
    for (auto& application : g_registry->applications) {
        if (application->exit_fd() >= 0) fds.push_back(application->exit_fd());
    }
    return fds;
}

void SpawnedApplications::tend_all() {
    for (auto& application : g_registry->applications)
        application->tend();
}

std::string application_socket(const std::string& directory, std::size_t slot, std::size_t index) {
    return directory + "/" + std::to_string(slot) + "." + std::to_string(index);
}

SpawnedApplication* spawned_application(const std::string& program) {
    if (g_registry == nullptr) return nullptr;
    for (auto& application : g_registry->applications) {
        if (application->program() == program) return application.get();
    }
    return nullptr;
}

}  // namespace forkd::cgi
