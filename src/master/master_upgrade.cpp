// Binary upgrade, as nginx does it. SIGUSR2: the master renames its pid file to
// `<pid_file>.oldbin`, forks and executes the binary at its path (the new one, once it was
// replaced), handing over the listening sockets (their fds named in FORKD_LISTEN_FDS). Both
// masters then serve. SIGWINCH to the old master stops its children gracefully; SIGQUIT
// retires it; SIGHUP to it instead rolls back (its children start again), after which the
// new master is stopped.
//
// The new master is this master's child but not a worker: it is not in the process table,
// it has no parent-death signal (it must outlive the old master), and the old master's stop
// leaves the shared listeners listening.
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "base/log.hpp"
#include "master/master.hpp"
#include "os/process.hpp"
#include "os/process_title.hpp"
#include "os/systemd.hpp"

namespace forkd::master {
namespace {

// Names the old master to the new one, which shares its listening sockets.
constexpr const char* kOldMasterVariable = "FORKD_OLD_MASTER";

// "3,5": fds as an environment variable names them.
std::string fd_list(const std::vector<int>& fds) {
    std::string list;
    for (int fd : fds)
        list += (list.empty() ? "" : ",") + std::to_string(fd);
    return list;
}

std::string old_pid_file(const std::string& pid_file) {
    return pid_file + ".oldbin";
}

pid_t pid_in(const std::string& path) {
    std::ifstream file(path);
    pid_t pid = 0;
    file >> pid;
    return pid;
}

}  // namespace

void Master::start_upgrade() {
    if (new_master_ != 0) {
        log::warn("SIGUSR2: a binary upgrade is already in progress (new master {})", new_master_);
        return;
    }
    if (stopping()) return;
    log::info("SIGUSR2: starting a new master from {}", server_.binary_path);
    const std::string& pid_file = server_.config.pid_file;
    if (!pid_file.empty()) std::rename(pid_file.c_str(), old_pid_file(pid_file).c_str());
    pid_t pid = os::fork_process();
    if (pid == 0) {
        ::setenv(kOldMasterVariable, std::to_string(pid_).c_str(), 1);
        ::setenv(kSystemdListenersVariable,
                 fd_list(systemd_listener_fds(server_.listeners)).c_str(), 1);
        os::exec_with_fds(server_.binary_path, server_.arguments, listener_fds(server_.listeners),
                          kInheritedListenersVariable);
        os::exit_child(os::kFatalExitCode);
    }
    new_master_ = pid;
    os::set_process_title("forkd: master (old, upgrading)");
}

void Master::upgraded_master_exited(int status) {
    log::warn("the new master (pid {}) {}; this master carries on", new_master_,
              os::describe_exit(status));
    new_master_ = 0;
    os::set_process_title("forkd: master");
    if (!stopping()) os::notify_systemd_main_pid(pid_);  // in case the new one had said it was
    const std::string& pid_file = server_.config.pid_file;
    if (!pid_file.empty() && pid_in(pid_file) == 0) {
        std::rename(old_pid_file(pid_file).c_str(), pid_file.c_str());
    }
    if (paused_ && !stopping()) {
        paused_ = false;
        model_->resume(*this);
    }
}

void Master::pause_for_upgrade(ProcessModel& model) {
    if (new_master_ == 0 || paused_) {
        log::debug("SIGWINCH ignored: no binary upgrade in progress");
        return;
    }
    log::info("SIGWINCH: stopping this master's children; the new master serves");
    paused_ = true;
    model.pause(*this);
}

// A master started by a binary upgrade learns its predecessor from the environment (and
// keeps it from its own children).
void Master::note_old_master() {
    const char* text = ::getenv(kOldMasterVariable);
    if (text == nullptr) return;
    old_master_ = static_cast<pid_t>(std::atoi(text));
    ::unsetenv(kOldMasterVariable);
}

// Whether another master serves from this master's listening sockets: the new one during an
// upgrade, or the old one while it lives (it is still our parent; a rollback quits the new
// master). Stopping then only closes this master's copies: shutting the sockets down, or
// removing unix socket files, would stop them for the other master too.
bool Master::shares_listeners() const {
    return new_master_ != 0 || (old_master_ != 0 && ::getppid() == old_master_);
}

void Master::write_pid_file() {
    const std::string& path = server_.config.pid_file;
    if (path.empty()) return;
    std::ofstream file(path, std::ios::trunc);
    file << pid_ << '\n';
    if (!file) throw std::runtime_error("cannot write pid_file " + path);
}

// Removes the pid file this master wrote, whichever name it has by now.
void Master::remove_pid_file() {
    const std::string& path = server_.config.pid_file;
    if (path.empty()) return;
    if (pid_in(path) == pid_) ::unlink(path.c_str());
    if (pid_in(old_pid_file(path)) == pid_) ::unlink(old_pid_file(path).c_str());
}

}  // namespace forkd::master
