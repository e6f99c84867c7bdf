#include "master/master.hpp"

namespace forkd::master {

int run(Server& server) {
    std::unique_ptr<ProcessModel> model;
    switch (server.config.mode) {
        case config::Mode::single:
            return run_single(server);
        case config::Mode::fork:
            model = make_fork_model();
            break;
        case config::Mode::prefork:
            model = make_prefork_model();
            break;
    }
    Master master(server);
    return master.run(*model);
}

}  // namespace forkd::master
