// Fork mode, the tutorial's second program made safe: the master accepts and forks one
// child per connection; the child serves that connection (keep-alive included) and exits.
// max_children caps them: at the cap the master takes the listeners out of its epoll set,
// so connections wait in the kernel's listen queue (never a busy loop, never a blocking
// wait that would deafen the master to signals), and puts them back when a child exits.
#include <fmt/format.h>
#include <sys/wait.h>

#include <algorithm>

#include "base/log.hpp"
#include "master/master.hpp"
#include "os/process.hpp"
#include "os/socket.hpp"
#include "session/kept_storage.hpp"
#include "worker/serving_roles.hpp"

namespace forkd::master {
namespace {

// Apache logs "server reached MaxRequestWorkers" once; forkd once per interval.
constexpr std::chrono::seconds kCapLogInterval{10};
// Connections accepted per wake-up per listener, so that one busy listener and the
// signals are served in turn.
constexpr int kAcceptBatch = 32;

class ForkModel final : public ProcessModel {
  public:
    const char* name() const override { return "fork"; }

    void start(Master& master) override {
        prepare_storage(master);
        resume_accepting(master);
    }

    void maintain(Master& master, Clock::time_point) override {
        if (!accepting_ && !at_cap(master)) resume_accepting(master);
    }

    void child_exited(Master& master, const Child& child, int status) override {
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            log::warn("{}", describe_death(child, status));
        }
        maintain(master, Clock::now());
    }

    void stop_accepting(Master& master) override { pause_accepting(master); }

    // The listener set may have changed: watch the new one. Children already running
    // finish with the configuration they were forked with.
    void reloaded(Master& master) override {
        prepare_storage(master);
        pause_accepting(master);
        resume_accepting(master);
    }

    void pause(Master& master) override {
        paused_ = true;
        pause_accepting(master);
    }

    void resume(Master& master) override {
        paused_ = false;
        resume_accepting(master);
    }

    void resize(Master& master, int delta) override {
        int& cap = master.server().config.max_children;
        cap = std::clamp(cap + delta, 1, static_cast<int>(master.scoreboard().size()) - 1);
        log::info("max_children is now {}", cap);
    }

  private:
    // Made once here, so that every child serves its connection in storage it inherits
    // instead of allocating its own (session/kept_storage.hpp).
    static void prepare_storage(Master& master) {
        session::prepare_kept_storage(master.server().options.limits);
    }

    bool at_cap(Master& master) const {
        return master.table().size() >= static_cast<std::size_t>(max_children(master));
    }
    static int max_children(Master& master) { return master.server().config.max_children; }

    void accept_ready(Master& master, session::ListeningSocket listener) {
        for (int i = 0; i < kAcceptBatch; ++i) {
            if (at_cap(master)) return reached_cap(master);
            std::optional<os::Accepted> accepted = os::accept_connection(listener.fd);
            if (!accepted) return;
            spawn_connection_child(master, std::move(*accepted), listener.proxy_protocol);
        }
    }

    // The child reads the PROXY header itself (`proxy_header`): the master never reads a
    // client's bytes, so the title and label show the proxy's address.
    void spawn_connection_child(Master& master, os::Accepted accepted, bool proxy_header) {
        Label label;
        label.assign("conn ", accepted.peer);
        Server& server = master.server();
        master.scoreboard().header().accepted.fetch_add(1, std::memory_order_relaxed);
        try {
            master.spawn(Role::connection, 0, label, false, [&](std::size_t slot) {
                return worker::run_connection_child(server.serving_context(), slot, label.view(),
                                                    std::move(accepted.fd), accepted.peer,
                                                    proxy_header);
            });
        } catch (const std::exception& e) {
            // The kernel refused a process: this client is closed, the next may fare better.
            log::error("cannot fork for {}: {}", accepted.peer, e.what());
            master.scoreboard().header().counters.refused.fetch_add(1, std::memory_order_relaxed);
        }
        // The parent's copy of the client fd closes when `accepted` goes out of scope.
    }

    void reached_cap(Master& master) {
        pause_accepting(master);
        ++times_capped_;
        Clock::time_point now = Clock::now();
        if (now - last_cap_log_ >= kCapLogInterval) {
            log::warn(
                "server reached max_children ({}): new connections wait in the listen queue "
                "(reached {} times so far)",
                max_children(master), times_capped_);
            last_cap_log_ = now;
        }
    }

    void pause_accepting(Master& master) {
        if (!accepting_) return;
        for (const Listener& listener : master.server().listeners) {
            master.loop().remove(listener.fd.get());
        }
        accepting_ = false;
    }

    void resume_accepting(Master& master) {
        if (accepting_ || paused_ || master.stopping()) return;
        master_ = &master;
        for (const Listener& listener : master.server().listeners) {
            session::ListeningSocket socket{listener.fd.get(), listener.proxy_protocol};
            // Two words, which std::function keeps in place: the loop copies a callback
            // each time it runs it, and a larger one would be allocated for every accept.
            master.loop().add(socket.fd, EPOLLIN,
                              [this, socket](uint32_t) { accept_ready(*master_, socket); });
        }
        accepting_ = true;
    }

    Master* master_ = nullptr;  // whose listeners are watched, while accepting
    bool accepting_ = false;
    bool paused_ = false;
    Clock::time_point last_cap_log_{};
    long times_capped_ = 0;
};

}  // namespace

std::unique_ptr<ProcessModel> make_fork_model() {
    return std::make_unique<ForkModel>();
}

}  // namespace forkd::master
