// Prefork mode, as Apache prefork and gunicorn sync: a pool of worker processes accepts on
// the shared listeners, each serving one connection at a time. The master only keeps the
// pool full (plan_pool decides, the master forks).
#include "base/log.hpp"
#include "master/master.hpp"
#include "master/pool_plan.hpp"
#include "os/process.hpp"
#include "worker/serve_loop.hpp"

namespace forkd::master {
namespace {

class PreforkModel final : public ProcessModel {
  public:
    const char* name() const override { return "prefork"; }

    void start(Master& master) override { maintain(master, Clock::now()); }

    void maintain(Master& master, Clock::time_point now) override {
        PoolSettings settings{master.server().config.workers};
        PoolPlan plan = plan_pool(master.table(), settings, state_, now);
        for (int slot : plan.spawn_slots)
            spawn_worker(master, slot);
    }

    void child_exited(Master& master, const Child& child, int status) override {
        if (master.stopping()) return;
        if (os::exited_fatally(status)) {
            log::error("{} (pid {}) failed its start; its slot is not restarted", child.label,
                       child.pid);
            state_.failed_slots.insert(child.slot);
            if (state_.failed_slots.size() >= static_cast<std::size_t>(settings_of(master))) {
                master.give_up(*this, "every worker failed its start");
            }
            return;
        }
        log::warn("{} (pid {}) {}; starting a new one", child.label, child.pid,
                  os::describe_exit(status));
    }

    void stop_accepting(Master&) override { state_.stopping = true; }

  private:
    static int settings_of(Master& master) { return master.server().config.workers; }

    void spawn_worker(Master& master, int slot) {
        std::string label = "worker " + std::to_string(slot);
        Server& server = master.server();
        try {
            master.spawn(Role::worker, slot, label, true, [&]() {
                worker::TitleObserver title(label);
                session::Services services{server.options, server.router, server.access_log, title};
                std::vector<int> listeners = listener_fds(server.listeners);
                worker::serve_until_stopped(listeners, services, title);
                return 0;
            });
        } catch (const std::exception& e) {
            log::error("cannot start {}: {}", label, e.what());
        }
    }

    PoolState state_;
};

}  // namespace

std::unique_ptr<ProcessModel> make_prefork_model() {
    return std::make_unique<PreforkModel>();
}

}  // namespace forkd::master
