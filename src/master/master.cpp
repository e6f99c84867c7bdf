#include "master/master.hpp"

#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "base/log.hpp"
#include "os/epoll.hpp"
#include "os/process.hpp"
#include "os/process_title.hpp"
#include "os/signals.hpp"

namespace forkd::master {
namespace {

constexpr std::chrono::milliseconds kTick{200};
// A fast stop gives children this long to die of SIGINT before SIGKILL.
constexpr std::chrono::seconds kFastStopGrace{2};

}  // namespace

Master::Master(Server& server) : server_(server) {}

int Master::run(ProcessModel& model) {
    prepare();
    log::info("master started ({} mode), pid {}", model.name(), pid_);
    model.start(*this);
    while (!finished()) {
        loop_.run_once(kTick);
        handle_signals(model);
        reap_children(model);
        if (stopping()) {
            carry_on_stopping(Clock::now());
        } else {
            model.maintain(*this, Clock::now());
        }
    }
    remove_pid_file();
    remove_unix_socket_files(server_.config);
    log::info("master exits");
    return exit_code_;
}

void Master::prepare() {
    pid_ = ::getpid();
    log::set_role("master");
    os::set_process_title("forkd: master");
    os::become_subreaper();  // grandchildren (CGI, later) are reaped here, never leaked
    signal_fd_ = os::open_signalfd({SIGCHLD, SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2,
                                    SIGTTIN, SIGTTOU, SIGWINCH, SIGPIPE});
    tick_fd_ = os::periodic_timer(kTick);
    loop_.add(signal_fd_.get(), EPOLLIN, [this](uint32_t) { on_signal_readable(); });
    loop_.add(tick_fd_.get(), EPOLLIN, [this](uint32_t) { os::drain_timer(tick_fd_.get()); });
    write_pid_file();
}

void Master::on_signal_readable() {
    for (int signal : os::read_signals(signal_fd_.get()))
        pending_signals_.push_back(signal);
}

void Master::handle_signals(ProcessModel& model) {
    while (!pending_signals_.empty()) {
        int signal = pending_signals_.front();
        pending_signals_.pop_front();
        switch (signal) {
            case SIGCHLD:
                break;  // reap_children runs after every turn anyway
            case SIGTERM:
            case SIGQUIT:
                log::info("SIG{}: graceful stop", os::signal_name(signal));
                begin_stop(model, Stop::graceful);
                break;
            case SIGINT:
                log::info("SIGINT: fast stop");
                begin_stop(model, Stop::fast);
                break;
            case SIGUSR1:
                log::info("SIGUSR1: reopening log files");
                log::reopen();
                server_.access_log.reopen();
                signal_children(SIGUSR1);
                break;
            case SIGWINCH:
            case SIGPIPE:
                break;  // a terminal resize; a vanished peer
            default:
                log::info("SIG{} is not handled yet; ignored", os::signal_name(signal));
        }
    }
}

void Master::reap_children(ProcessModel& model) {
    for (const os::ExitedChild& exited : os::reap_children()) {
        std::optional<Child> child = table_.remove(exited.pid);
        if (!child) {
            log::debug("reaped orphan {} ({})", exited.pid, os::describe_exit(exited.status));
            continue;
        }
        model.child_exited(*this, *child, exited.status);
    }
}

pid_t Master::spawn(Role role, int slot, std::string label, bool keep_listeners,
                    const std::function<int()>& child_main) {
    pid_t pid = os::fork_process();
    if (pid == 0) {
        int code = os::kFatalExitCode;
        try {
            os::detach_into_own_group_and_die_with(pid_);
            os::enter_serving_signal_state();
            close_master_fds_in_child(keep_listeners);
            log::set_role(label);
            code = child_main();
        } catch (const std::exception& e) {
            log::error("{} failed: {}", label, e.what());
        } catch (...) {
            log::error("{} failed", label);
        }
        ::_exit(code);
    }
    ::setpgid(pid, pid);  // also done by the child: whichever runs first wins the race
    table_.add(Child{pid, role, slot, std::move(label), Clock::now()});
    return pid;
}

// The child must not keep the master's private fds; its copies of them are closed here
// (the objects are never destroyed in the child, which leaves with _exit).
void Master::close_master_fds_in_child(bool keep_listeners) {
    ::close(signal_fd_.release());
    ::close(tick_fd_.release());
    loop_.close_in_child();
    if (!keep_listeners) {
        for (Listener& listener : server_.listeners)
            ::close(listener.fd.release());
    }
}

void Master::give_up(ProcessModel& model, const std::string& reason) {
    log::error("{}; stopping", reason);
    exit_code_ = 1;
    begin_stop(model, Stop::graceful);
}

void Master::begin_stop(ProcessModel& model, Stop kind) {
    if (stop_ == Stop::fast || stop_ == kind) return;  // a repeated signal changes nothing
    if (stop_ == Stop::none) {
        model.stop_accepting(*this);
        stop_listening(server_.listeners);  // new connections are refused, not queued forever
        server_.listeners.clear();
    }
    stop_ = kind;
    Clock::time_point now = Clock::now();
    if (kind == Stop::graceful) {
        kill_at_ = now + server_.config.graceful_timeout;
        signal_children(SIGTERM);
    } else {
        kill_at_ = now + kFastStopGrace;
        signal_children(SIGINT);
    }
}

// Shutdown escalates: the stop signal first, SIGKILL for whoever outlives the deadline.
void Master::carry_on_stopping(Clock::time_point now) {
    if (killed_ || now < kill_at_) return;
    log::warn("{} children still running after the stop deadline: SIGKILL", table_.size());
    signal_children(SIGKILL);
    killed_ = true;
}

void Master::signal_children(int signal) {
    for (const auto& [pid, child] : table_)
        os::signal_group(pid, signal);
}

void Master::write_pid_file() {
    const std::string& path = server_.config.pid_file;
    if (path.empty()) return;
    std::ofstream file(path, std::ios::trunc);
    file << pid_ << '\n';
    if (!file) throw std::runtime_error("cannot write pid_file " + path);
}

void Master::remove_pid_file() {
    if (!server_.config.pid_file.empty()) ::unlink(server_.config.pid_file.c_str());
}

}  // namespace forkd::master
