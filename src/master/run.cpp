#include "master/server.hpp"

namespace forkd::master {

int run(Server& server) {
    switch (server.config.mode) {
        case config::Mode::single: return run_single(server);
        case config::Mode::fork:
        case config::Mode::prefork: return run_single(server);  // process models: next step
    }
    return 1;
}

}  // namespace forkd::master
