// Hybrid mode: io workers (front/) accept, parse and keep connections in epoll loops and
// answer inline routes; blocking requests go to a pool of app workers (a WorkerPool, with
// the pm settings) that receive the client fd itself over their dispatch socket.
//
// The master makes one dispatch socket pair per scoreboard slot before any fork: every io
// worker keeps the sending ends, the app worker in slot i keeps receiving end i. When an
// app worker dies, the master drains its socket, closing any hand-off that was still in it,
// so the io worker that sent it sees its completion socket close and answers 502.
//
// It also makes the hand-over socket pair, which every io worker of every generation keeps
// both ends of: on a reload the old io workers send their idle keep-alive connections on
// one end and the new ones adopt them from the other (front/io_worker_reload.cpp). Made
// once, before the first fork, so that no io worker needs to be told about it later.
#include <unistd.h>

#include <algorithm>

#include "base/log.hpp"
#include "cgi/cgi_handler.hpp"
#include "front/io_worker.hpp"
#include "ipc/hand_off.hpp"
#include "master/worker_pool.hpp"
#include "os/connect.hpp"
#include "os/fd_passing.hpp"
#include "os/process.hpp"
#include "worker/serving_roles.hpp"

namespace forkd::master {
namespace {

std::size_t max_message(const config::Config& config) {
    return ipc::max_hand_off_size(config.max_request_line, config.max_header_size,
                                  config.body_buffer_size);
}

class HybridModel final : public ProcessModel {
  public:
    HybridModel()
        : pool_(
              "hybrid", "app",
              [this](Master& master, std::size_t slot, const std::string& label) {
                  return serve_as_app_worker(master, slot, label);
              },
              false) {}

    const char* name() const override { return "hybrid"; }

    void start(Master& master) override {
        for (std::size_t i = 0; i < master.scoreboard().size(); ++i) {
            dispatch_.push_back(os::make_message_pair(true));
        }
        hand_over_ = os::make_message_pair(true);
        make_application_sockets_directory(master);
        pool_.start(master);
        maintain(master, Clock::now());
    }

    void maintain(Master& master, Clock::time_point now) override {
        if (!paused_) spawn_missing_io_workers(master);
        pool_.set_connections_waiting(master.scoreboard().header().queued.load() > 0);
        pool_.maintain(master, now);
    }

    void child_exited(Master& master, const Child& child, int status) override {
        if (child.role == Role::io) {
            if (!child.retiring && !master.stopping()) {
                log::warn("{} (pid {}) {}; starting a new one", child.label, child.pid,
                          os::describe_exit(status));
            }
            if (pool_pause_held_) pause_the_pool_once_io_workers_are_gone(master);
            return;
        }
        drain_dispatch_socket(master, child.board_slot);
        pool_.child_exited(master, child, status);
    }

    void stop_accepting(Master& master) override { pool_.stop_accepting(master); }

    // New io workers start with the new configuration; the old ones stop accepting, finish
    // what they hold and leave.
    void reloaded(Master& master) override {
        make_application_sockets_directory(master);
        retire_io_workers(master, "a new generation replaces it");
        pool_.reloaded(master);
    }

    // The io workers first: the app workers serve what they still queue, then leave.
    void pause(Master& master) override {
        paused_ = true;
        retire_io_workers(master, "binary upgrade: the new master serves");
        pool_pause_held_ = true;
        pause_the_pool_once_io_workers_are_gone(master);
    }

    void resume(Master& master) override {
        paused_ = false;
        pool_pause_held_ = false;
        pool_.resume(master);
    }

    void resize(Master& master, int delta) override { pool_.resize(master, delta); }

    bool stops_after_the_front(const Child& child) const override {
        return child.role == Role::worker;
    }

  private:
    // Spawned FastCGI applications listen there, for the io workers to connect to
    // (cgi/spawned_application.hpp); the master removes it when it exits.
    static void make_application_sockets_directory(Master& master) {
        Server& server = master.server();
        if (!server.application_sockets.empty() || cgi::spawn_specs(server.config).empty()) return;
        try {
            uid_t uid = server.identity ? server.identity->uid : static_cast<uid_t>(-1);
            gid_t gid = server.identity ? server.identity->gid : static_cast<gid_t>(-1);
            server.application_sockets = os::make_private_directory(uid, gid);
        } catch (const std::exception& e) {
            log::warn("the io workers will hand PHP requests to the app workers: {}", e.what());
        }
    }

    void spawn_missing_io_workers(Master& master) {
        int wanted = io_worker_count(master.server().config);
        for (int number = 1; number <= wanted; ++number) {
            if (has_io_worker(master, number)) continue;
            std::string label = "io " + std::to_string(number);
            try {
                master.spawn(Role::io, number, label, true, [&](std::size_t slot) {
                    return serve_as_io_worker(master, slot, label);
                });
            } catch (const std::exception& e) {
                log::error("cannot start {}: {}", label, e.what());
            }
        }
    }

    static bool has_io_worker(const Master& master, int number) {
        return std::ranges::any_of(master.table(), [&](const Child& child) {
            return child.role == Role::io && child.slot == number && !child.retiring &&
                   child.generation == master.generation();
        });
    }

    void pause_the_pool_once_io_workers_are_gone(Master& master) {
        bool io_left = std::ranges::any_of(
            master.table(), [](const Child& child) { return child.role == Role::io; });
        if (io_left) return;
        pool_pause_held_ = false;
        pool_.pause(master);
    }

    void retire_io_workers(Master& master, const std::string& why) {
        std::vector<pid_t> pids;
        for (const Child& child : master.table()) {
            if (child.role == Role::io) pids.push_back(child.pid);
        }
        for (pid_t pid : pids)
            master.retire(pid, why);
    }

    int serve_as_io_worker(Master& master, std::size_t slot, const std::string& label) {
        std::vector<int> senders;
        for (auto& [sender, receiver] : dispatch_) {
            receiver.reset();  // only app workers receive
            senders.push_back(sender.get());
        }
        Server& server = master.server();
        std::vector<session::ListeningSocket> listeners = listening_sockets(server.listeners);
        front::IoContext context{server.config,
                                 server.options,
                                 server.router,
                                 server.access_log,
                                 master.scoreboard(),
                                 slot,
                                 master.generation(),
                                 listeners,
                                 senders,
                                 hand_over_.first.get(),
                                 hand_over_.second.get(),
                                 label,
                                 server.app,
                                 server.application_sockets};
        return front::run_io_worker(context);
    }

    int serve_as_app_worker(Master& master, std::size_t slot, const std::string& label) {
        for (std::size_t i = 0; i < dispatch_.size(); ++i) {
            dispatch_[i].first.reset();
            if (i != slot) dispatch_[i].second.reset();
        }
        hand_over_.first.reset();  // connections pass between io workers only
        hand_over_.second.reset();
        Server& server = master.server();
        return worker::run_app_worker(server.serving_context(), slot, label,
                                      dispatch_[slot].second.get(), max_message(server.config));
    }

    void drain_dispatch_socket(Master& master, std::size_t slot) {
        if (slot >= dispatch_.size()) return;
        std::size_t limit = max_message(master.server().config);
        int dropped = 0;
        while (os::receive_message(dispatch_[slot].second.get(), limit))
            ++dropped;
        if (dropped > 0) log::warn("{} hand-off(s) to a dead app worker dropped", dropped);
    }

    WorkerPool pool_;
    std::vector<std::pair<Fd, Fd>> dispatch_;  // per scoreboard slot: (io end, app end)
    std::pair<Fd, Fd> hand_over_;              // (sending end, receiving end)
    bool paused_ = false;
    bool pool_pause_held_ = false;  // paused: the pool leaves once the io workers have
};

}  // namespace

std::unique_ptr<ProcessModel> make_hybrid_model() {
    return std::make_unique<HybridModel>();
}

}  // namespace forkd::master
