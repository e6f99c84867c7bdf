#include "master/master.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>

#include "base/log.hpp"
#include "handlers/status.hpp"
#include "os/connect.hpp"
#include "os/epoll.hpp"
#include "os/process.hpp"
#include "os/process_info.hpp"
#include "os/process_title.hpp"
#include "os/request_guard.hpp"
#include "os/signals.hpp"
#include "os/spawn.hpp"
#include "os/systemd.hpp"
#include "session/request_id.hpp"

namespace forkd::master {
namespace {

constexpr std::chrono::milliseconds kTick{200};
// Children are measured (memory, request age) and the listen queue read this often.
constexpr std::chrono::seconds kWatchInterval{1};
// A fast stop gives children this long to die of SIGINT before SIGKILL.
constexpr std::chrono::seconds kFastStopGrace{2};
// A worker past request_timeout answers 504 itself; the master's SIGKILL is the backstop
// for one that cannot (blocked in the kernel, signal handler broken) after this grace.
constexpr std::chrono::seconds kTimeoutGrace{2};

// The status page's max_active_processes: the most processes busy at once. Sampled every
// turn of the loop (at least every tick), so that a burst between two status requests is
// remembered; counted as the status page counts its active processes. Only each slot's
// state (one atomic): a whole slot's read copies its texts and waits out a write in
// progress, and this runs for every slot (max_children + 1 in fork mode) twice or more per
// connection in fork mode.
void note_peak_activity(ipc::Scoreboard& scoreboard) {
    uint64_t active = 0;
    for (std::size_t i = 0; i < scoreboard.size(); ++i) {
        if (handlers::counts_as_active(scoreboard.state(i))) ++active;
    }
    std::atomic<uint64_t>& peak = scoreboard.header().max_active;
    if (active > peak.load(std::memory_order_relaxed)) peak.store(active);
}

}  // namespace

Master::Master(Server& server) : server_(server), table_(server.scoreboard->size()) {}

int Master::run(ProcessModel& model) {
    model_ = &model;
    prepare();
    log::info("master started ({} mode), pid {}", model.name(), pid_);
    model.start(*this);
    // A binary upgrade's new master is not the main pid systemd knows: it says it is now.
    if (old_master_ != 0) {
        os::notify_systemd_main_pid(pid_);
    } else {
        os::notify_systemd_ready();
    }
    while (!finished()) {
        loop_.run_once(kTick);
        handle_signals(model);
        reap_children(model);
        if (back_held_) stop_the_back_once_the_front_is_gone();
        watch_children(Clock::now());
        note_peak_activity(scoreboard());
        if (!stopping() && Clock::now() >= delayed_stop_at_) begin_stop(model, Stop::graceful);
        if (stopping()) {
            carry_on_stopping(Clock::now());
        } else {
            model.maintain(*this, Clock::now());
        }
    }
    end_orphans();
    if (!server_.application_sockets.empty())
        os::remove_private_directory(server_.application_sockets);
    remove_pid_file();
    if (!shares_listeners()) remove_socket_files(socket_files_);
    log::info("master exits");
    return exit_code_;
}

void Master::prepare() {
    pid_ = ::getpid();
    note_old_master();
    log::set_role("master");
    os::set_process_title("forkd: master");
    os::become_subreaper();  // grandchildren (CGI programs) are reaped here, never leaked
    // Children this process had before it was forkd (a shell's background job that then
    // exec'd it) are not forkd's to end at exit.
    children_before_start_ = os::own_children();
    signal_fd_ = os::open_signalfd({SIGCHLD, SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2,
                                    SIGTTIN, SIGTTOU, SIGWINCH, SIGPIPE});
    tick_fd_ = os::periodic_timer(kTick);
    // After the preload hooks: what each child must undo. The serving dispositions and the
    // crash guard are set here once, for every child to inherit.
    os::note_master_signal_state();
    os::install_crash_guard();
    loop_.add(signal_fd_.get(), EPOLLIN, [this](uint32_t) { on_signal_readable(); });
    loop_.add(tick_fd_.get(), EPOLLIN, [this](uint32_t) { os::drain_timer(tick_fd_.get()); });
    write_pid_file();
}

void Master::on_signal_readable() {
    while (pending_count_ < pending_signals_.size()) {
        std::optional<int> signal = os::read_signal(signal_fd_.get());
        if (!signal) return;
        pending_signals_[pending_count_++] = *signal;
    }
}

void Master::handle_signals(ProcessModel& model) {
    for (std::size_t i = 0; i < pending_count_; ++i) {
        int signal = pending_signals_[i];
        switch (signal) {
            case SIGCHLD:
                break;  // reap_children runs after every turn anyway
            case SIGTERM:
            case SIGQUIT:
                log::info("SIG{}: graceful stop", os::signal_name(signal));
                stop_gracefully(model);
                break;
            case SIGINT:
                log::info("SIGINT: fast stop");
                begin_stop(model, Stop::fast);
                break;
            case SIGHUP:
                if (paused_) {
                    log::info("SIGHUP: rolling back, starting children again");
                    paused_ = false;
                    model.resume(*this);
                    os::notify_systemd_main_pid(pid_);  // the main pid again, before the new quits
                } else {
                    reload(model);
                }
                break;
            case SIGUSR1:
                log::info("SIGUSR1: reopening log files");
                log::reopen();
                server_.access_log.reopen();
                give_logs_to_children_or_say_why();
                signal_children(SIGUSR1);
                break;
            case SIGUSR2:
                start_upgrade();
                break;
            case SIGWINCH:
                pause_for_upgrade(model);
                break;
            case SIGTTIN:
            case SIGTTOU:
                model.resize(*this, signal == SIGTTIN ? +1 : -1);
                break;
            default:
                break;  // SIGPIPE: a vanished peer
        }
    }
    pending_count_ = 0;
}

void Master::reap_children(ProcessModel& model) {
    while (std::optional<os::ExitedChild> reaped = os::reap_child()) {
        const os::ExitedChild& exited = *reaped;
        if (exited.pid == new_master_) {
            upgraded_master_exited(exited.status);
            continue;
        }
        std::optional<Child> child = table_.remove(exited.pid);
        if (!child) {
            log::debug("reaped orphan {} ({})", exited.pid, os::describe_exit(exited.status));
            continue;
        }
        // What it served and was serving when it died decides its back-off and names the
        // request in the crash line: read before the slot is cleared for the next child.
        child->last_slot = scoreboard().read(child->board_slot);
        count_exit(*child, exited.status);
        end_program_of(*child);
        scoreboard().clear(child->board_slot);
        model.child_exited(*this, *child, exited.status);
    }
    close_retired_listeners();
}

void Master::count_exit(const Child& child, int status) {
    auto role = static_cast<std::size_t>(slot_role_of(child.role));
    auto cause = static_cast<std::size_t>(exit_cause(child, status, stopping()));
    scoreboard().header().counters.exits[role][cause].fetch_add(1, std::memory_order_relaxed);
}

// A child that died while its request ran a program (a CGI script, in a process group of
// its own) could not end that program itself: its group is ended here.
void Master::end_program_of(const Child& child) {
    pid_t group = scoreboard().child_group(child.board_slot);
    if (group <= 0) return;
    scoreboard().set_child_group(child.board_slot, 0);
    if (os::signal_process_group(group, SIGKILL)) {
        log::warn("{} (pid {}) left its program's process group {} running: SIGKILL", child.label,
                  child.pid, group);
    }
}

// At exit, whatever descendant is still here (a program that left its process group and
// outlived its worker, adopted by this subreaper) is killed: nothing outlives the server.
// A binary upgrade's new master, a child too, is left alone, as are the children this
// process had before it became forkd.
void Master::end_orphans() {
    for (pid_t orphan : os::own_children()) {
        if (orphan == new_master_ ||
            std::ranges::find(children_before_start_, orphan) != children_before_start_.end())
            continue;
        log::warn("process {} outlived the worker that started it: SIGKILL", orphan);
        os::signal_process_group(orphan, SIGKILL);
        os::send_signal(orphan, SIGKILL);
    }
    os::reap_children();
}

// Once a second: kill what outlived request_timeout, measure memory, read the listen queue.
void Master::watch_children(Clock::time_point now) {
    if (now < next_watch_) return;
    next_watch_ = now + kWatchInterval;
    const config::Config& config = server_.config;
    uint64_t now_ms = ipc::Scoreboard::now_ms();
    std::vector<std::pair<pid_t, std::string>> to_retire;
    std::vector<pid_t> timed_out;
    for (const Child& child : table_) {
        pid_t pid = child.pid;
        ipc::SlotView slot = scoreboard().read(child.board_slot);
        auto limit = config.request_timeout + kTimeoutGrace;
        if (config.request_timeout.count() > 0 && slot.request_started_ms != 0 &&
            now_ms - slot.request_started_ms > static_cast<uint64_t>(limit.count())) {
            log::error("{} (pid {}) still runs {} {} past request_timeout: SIGKILL", child.label,
                       pid, slot.method, slot.target);
            os::signal_group(pid, SIGKILL);
            timed_out.push_back(pid);
        }
        std::optional<uint64_t> pss = os::proportional_set_size_kb(pid);
        if (!pss) continue;
        // A spawned FastCGI application (php-cgi) is part of its worker: one pool, one limit.
        if (slot.application_pid > 0)
            *pss += os::proportional_set_size_kb(slot.application_pid).value_or(0);
        scoreboard().set_pss(child.board_slot, *pss);
        if (config.max_rss > 0 && *pss * 1024 > config.max_rss && !child.retiring) {
            to_retire.emplace_back(pid, fmt::format("uses {} kB, over max_rss", *pss));
        }
    }
    for (pid_t pid : timed_out)
        table_.find(pid)->killed_for_timeout = true;
    for (const auto& [pid, why] : to_retire)
        retire(pid, why, ipc::ExitCause::max_rss);
    uint64_t queued = 0;
    for (const Listener& listener : server_.listeners) {
        queued += os::listen_queue_length(listener.fd.get());
    }
    ipc::ScoreboardHeader& header = scoreboard().header();
    header.listen_queue = queued;
    if (queued > header.max_listen_queue) header.max_listen_queue = queued;
}

pid_t Master::spawn(Role role, int number, std::string_view label, bool keep_listeners,
                    ChildMain child_main) {
    std::size_t board_slot = table_.free_board_slot();
    if (board_slot >= scoreboard().size()) {
        throw std::runtime_error("the scoreboard is full; restart to grow it");
    }
    std::uint64_t serial = scoreboard().header().forked.fetch_add(1, std::memory_order_relaxed);
    std::uint64_t request_ids = session::child_request_id_part(serial);
    pid_t pid = os::fork_process();
    if (pid == 0) {
        int code = os::kFatalExitCode;
        try {
            // First: a change of credentials clears the parent-death signal set next.
            if (server_.identity) os::drop_privileges(*server_.identity);
            // After the drop, which made the process non-dumpable.
            if (server_.config.core_dumps) os::allow_core_dumps();
            os::detach_into_own_group_and_die_with(pid_);
            os::enter_serving_signal_state();
            close_master_fds_in_child(keep_listeners);
            log::set_role(label);
            session::start_request_ids(request_ids);
            scoreboard().assign(board_slot, ::getpid(), generation_, slot_role_of(role));
            code = child_main(board_slot);
        } catch (const std::exception& e) {
            log::error("{} failed: {}", label, e.what());
        } catch (...) {
            log::error("{} failed", label);
        }
        os::exit_child(code);
    }
    os::put_in_own_group(pid);
    scoreboard().header().counters.spawns[static_cast<std::size_t>(slot_role_of(role))].fetch_add(
        1, std::memory_order_relaxed);
    table_.add(Child{pid, role, number, label, Clock::now(), board_slot, generation_});
    return pid;
}

void Master::retire(pid_t pid, const std::string& why, ipc::ExitCause cause) {
    Child* child = table_.find(pid);
    if (child == nullptr || child->retiring) return;
    log::info("retiring {} (pid {}): {}", child->label, pid, why);
    child->retiring = true;
    child->retired_for = cause;
    os::signal_group(pid, SIGTERM);
}

// The child must not keep the master's private fds; its copies of them are closed here
// (the objects are never destroyed in the child, which leaves with _exit).
void Master::close_master_fds_in_child(bool keep_listeners) {
    signal_fd_.reset();
    tick_fd_.reset();
    loop_.close_in_child();
    for (Listener& listener : retired_listeners_)
        listener.fd.reset();
    if (!keep_listeners) {
        for (Listener& listener : server_.listeners)
            listener.fd.reset();
    }
}

// Not fatal: the children keep writing to the files they had open.
void Master::give_logs_to_children_or_say_why() {
    try {
        give_logs_to_children(server_);
    } catch (const std::exception& e) {
        log::error("{}", e.what());
    }
}

void Master::give_up(ProcessModel& model, const std::string& reason) {
    log::error("{}; stopping", reason);
    exit_code_ = 1;
    begin_stop(model, Stop::graceful);
}

// With shutdown_delay, the server first serves on as before while its health check says
// 503, so that a load balancer takes it out of the pool before its listeners refuse
// connections (a refused health check is often retried first; a 503 is plain). A second
// TERM or QUIT does not wait the delay out. Not while the other master of a binary
// upgrade shares the listeners: the service goes on there, nothing to drain.
void Master::stop_gracefully(ProcessModel& model) {
    auto delay = server_.config.shutdown_delay;
    if (stop_ != Stop::none || delayed_stop_at_ != Clock::time_point::max() || delay.count() <= 0 ||
        shares_listeners())
        return begin_stop(model, Stop::graceful);
    scoreboard().header().draining = 1;
    delayed_stop_at_ = Clock::now() + delay;
    log::info("serving on for shutdown_delay ({} ms) with the health check answering 503",
              delay.count());
}

void Master::begin_stop(ProcessModel& model, Stop kind) {
    if (stop_ == Stop::fast || stop_ == kind) return;  // a repeated signal changes nothing
    if (stop_ == Stop::none) {
        scoreboard().header().draining = 1;
        // While the other master of a binary upgrade lives, the service is not stopping:
        // systemd would stop it all (and this one is not, or no longer, its main pid).
        if (!shares_listeners()) os::notify_systemd_stopping();
        model.stop_accepting(*this);
        // New connections are refused, not queued forever, unless the other master of a
        // binary upgrade shares the listeners: then they stay open for it.
        if (!shares_listeners()) stop_listening(server_.listeners);
        socket_files_ = socket_files_to_remove(server_.config, server_.listeners);
        server_.listeners.clear();
    }
    stop_ = kind;
    Clock::time_point now = Clock::now();
    if (kind == Stop::graceful) {
        kill_at_ = now + server_.config.graceful_timeout;
        for (const Child& child : table_) {
            if (!model.stops_after_the_front(child)) os::signal_group(child.pid, SIGTERM);
        }
        back_held_ = true;
        stop_the_back_once_the_front_is_gone();
    } else {
        back_held_ = false;
        kill_at_ = now + kFastStopGrace;
        signal_children(SIGINT);
    }
}

// A graceful stop's second step: the children the front hands work to leave once it has
// finished what it held (the stop deadline's SIGKILL applies to both steps).
void Master::stop_the_back_once_the_front_is_gone() {
    bool front_left = std::ranges::any_of(
        table_, [&](const Child& child) { return !model_->stops_after_the_front(child); });
    if (front_left) return;
    back_held_ = false;
    signal_children(SIGTERM);
}

// Shutdown escalates: the stop signal first, SIGKILL for whoever outlives the deadline.
void Master::carry_on_stopping(Clock::time_point now) {
    if (killed_ || now < kill_at_) return;
    log::warn("{} children still running after the stop deadline: SIGKILL", table_.size());
    signal_children(SIGKILL);
    killed_ = true;
}

void Master::signal_children(int signal) {
    for (const Child& child : table_)
        os::signal_group(child.pid, signal);
}

}  // namespace forkd::master
