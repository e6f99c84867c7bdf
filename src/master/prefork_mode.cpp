// Prefork mode, as Apache prefork, PHP-FPM and gunicorn sync: a pool of worker processes
// accepts on the shared listeners, each serving one connection at a time.
#include "master/worker_pool.hpp"
#include "worker/serving_roles.hpp"

namespace forkd::master {

std::unique_ptr<ProcessModel> make_prefork_model() {
    return std::make_unique<WorkerPool>(
        "prefork", "worker", [](Master& master, std::size_t slot, const std::string& label) {
            Server& server = master.server();
            return worker::run_prefork_worker(server.serving_context(), slot, label,
                                              listening_sockets(server.listeners));
        });
}

}  // namespace forkd::master
